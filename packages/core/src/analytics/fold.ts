/**
 * `rankCorrelations` over metric samples that arrive in chunks (a store's `stream`, a file read
 * piece by piece), with the same result on the same samples. The samples of one parameter must
 * arrive together (any order within them): a query ordered by parameter (then time) gives that.
 *
 * Memory: the work orders and, per product, its intervals and outcomes (see `ranking.ts`), plus the
 * samples of the one parameter being gathered, which are analysed and dropped as soon as the next
 * parameter starts; never all samples. The medians the method needs (the parameter's typical
 * sampling step and counter step) are exact, so one parameter's samples are held at a time.
 */
import { ConfigError } from '../errors.js';
import type { Metric, Workorder } from '../schemas/machine-data.js';
import { isMachineDataId } from './ids.js';
import { metricSampleColumns, prepareWorkorders } from './rank-correlations.js';
import { createRanker } from './ranking.js';
import { isFiniteNumber, seriesOf } from './series.js';
import type { CorrelationOptions, CorrelationResult, MachineDataId, MetricColumns } from './types.js';

/** A `rankCorrelations` that takes its metric samples a chunk at a time. */
export interface CorrelationFold {
  /**
   * Adds a chunk of samples (records or columns, as `rankCorrelations` takes them). Throws
   * `ConfigError` when a parameter's samples come back after another parameter's had started, or
   * after `result()`.
   */
  add(metrics: readonly Metric[] | MetricColumns): void;
  /** Ends the input and returns the result, equal to `rankCorrelations` on all the samples added. */
  result(): CorrelationResult;
}

/** Starts a fold over the given work orders (held whole: they are few) and options. */
export function correlationFold(workorders: readonly Workorder[], options: CorrelationOptions = {}): CorrelationFold {
  const { resolved, products } = prepareWorkorders(workorders, options);
  const ranker = createRanker(products, resolved);
  const finished = new Set<MachineDataId>();
  let current: MachineDataId | undefined;
  let time = new Float64Array(1024);
  let value = new Float64Array(1024);
  let count = 0;
  let invalid = 0;
  let unidentified = 0;
  let ended = false;

  /** Analyses the parameter gathered so far; its buffers are reused by the next one. */
  function flush(): void {
    if (current === undefined) return;
    ranker.addParameter(seriesOf(current, time.subarray(0, count), value.subarray(0, count), invalid));
    finished.add(current);
    current = undefined;
    count = 0;
    invalid = 0;
  }

  function push(t: number, v: number): void {
    if (count === time.length) {
      const grown = (from: Float64Array) => {
        const to = new Float64Array(from.length * 2);
        to.set(from);
        return to;
      };
      time = grown(time);
      value = grown(value);
    }
    time[count] = t;
    value[count] = v;
    count++;
  }

  return {
    add(metrics) {
      if (ended) throw new ConfigError('correlationFold: add() was called after result(); start a new fold', 'metrics');
      const columns = metricSampleColumns(metrics);
      const n = columns.id.length;
      if (columns.time.length !== n || columns.value.length !== n) {
        throw new ConfigError(
          `correlationFold: sample columns differ in length (id ${n}, time ${columns.time.length}, val ${columns.value.length}); pass one entry per sample in each column`,
          'metrics',
        );
      }
      for (let i = 0; i < n; i++) {
        const id = columns.id[i];
        if (id !== current || current === undefined) {
          if (!isMachineDataId(id)) {
            unidentified++;
            continue;
          }
          flush();
          if (finished.has(id)) {
            throw new ConfigError(
              `correlationFold: samples of parameter ${JSON.stringify(id)} came again after other parameters' samples; ` +
                "give each parameter's samples together (order the query by parameter, then time)",
              'metrics',
            );
          }
          current = id;
        }
        const t = columns.time[i];
        const v = columns.value[i];
        if (isFiniteNumber(t) && isFiniteNumber(v)) push(t, v);
        else invalid++;
      }
    },
    result() {
      if (ended) throw new ConfigError('correlationFold: result() was called twice; start a new fold', 'metrics');
      flush();
      ended = true;
      return ranker.result(unidentified);
    },
  };
}

/** `correlationFold` over an async sequence of chunks (e.g. a store's `stream`, rows turned into samples). */
export async function rankCorrelationsOf(
  chunks: AsyncIterable<readonly Metric[] | MetricColumns>,
  workorders: readonly Workorder[],
  options: CorrelationOptions = {},
): Promise<CorrelationResult> {
  const fold = correlationFold(workorders, options);
  for await (const chunk of chunks) fold.add(chunk);
  return fold.result();
}
