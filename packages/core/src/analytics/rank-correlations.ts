/**
 * `rankCorrelations`: which machine parameters move with each product's output. Pure and
 * deterministic: the same samples in any order, with or without exact duplicates, give the same
 * result.
 *
 * Method, per product (see `intervals.ts`, `align.ts`, `correlate.ts`, `ranking.ts` for the details):
 * 1. Readings of the product's cumulative counter, sorted, duplicates dropped, form intervals;
 *    intervals with a reset or longer than `gapFactor` × the median interval are skipped.
 *    The output of an interval is compared as a rate (difference ÷ duration).
 * 2. Each parameter gets a value per interval: a gauge its mean level (or the interpolated level at
 *    the midpoint), a counter (detected, or named in `counters`) its rate of increase.
 * 3. Process delays: the parameter is also read over each interval shifted back by a lag Δ = 0, one
 *    median interval, two, … ≤ `maxLagSeconds` (see `lags.ts`); the lag with the smallest p-value is kept.
 * 4. Both series lose their linear time trend (`detrend: 'linear'`, default), so slow drifts that
 *    happen to run together are not reported as relations; then Pearson r, Spearman rho, a
 *    two-sided p-value and a Fisher-z confidence interval are computed, from an effective number of
 *    intervals shrunk for the autocorrelation of both series (consecutive intervals are not
 *    independent; see `correlate.ts`).
 * 5. The kept p-value is corrected for the lags tried (Šidák); parameters are ranked by |r| at their
 *    chosen lag (then p, ties by id: within a product all share the intervals and the lag grid),
 *    and flagged `significant` when the p-value survives Holm's correction over the
 *    product's parameters. Pairs with too few intervals or no variance at every lag are listed
 *    under `excluded` with the reason.
 */
import { ConfigError } from '../errors.js';
import type { Metric, Workorder } from '../schemas/machine-data.js';
import { resolveCorrelationOptions } from './options.js';
import { createRanker } from './ranking.js';
import { groupSeries, type GroupedSeries, type SampleColumns } from './series.js';
import type { CorrelationOptions, CorrelationResult, MetricColumns, ResolvedCorrelationOptions } from './types.js';

/**
 * Ranks, per product, every parameter by the strength of its relation to the product's output rate.
 * `metrics` are records or columns (time in epoch ms); `workorders` are readings of each product's
 * cumulative production counter. Bad values are counted in the result, never thrown on; a
 * `ConfigError` is thrown only for unusable arguments or options. For more samples than fit in
 * memory, `correlationFold` gives the same result from samples streamed one parameter at a time.
 */
export function rankCorrelations(
  metrics: readonly Metric[] | MetricColumns,
  workorders: readonly Workorder[],
  options: CorrelationOptions = {},
): CorrelationResult {
  const resolved = resolveCorrelationOptions(options);
  const products = groupWorkorders(workorders);
  const parameterGroups = groupSeries(metricSampleColumns(metrics));
  const ranker = createRanker(products, resolved);
  for (const series of parameterGroups.series) ranker.addParameter(series);
  return ranker.result(parameterGroups.unidentified);
}

/** Options checked and work orders grouped by product: the start of both the in-memory and the streamed analysis. */
export function prepareWorkorders(
  workorders: readonly Workorder[],
  options: CorrelationOptions,
): { resolved: ResolvedCorrelationOptions; products: GroupedSeries } {
  const resolved = resolveCorrelationOptions(options);
  return { resolved, products: groupWorkorders(workorders) };
}

function groupWorkorders(workorders: readonly Workorder[]): GroupedSeries {
  if (!Array.isArray(workorders)) {
    throw new ConfigError('rankCorrelations: workorders must be an array of {time, product, production} readings', 'workorders');
  }
  return groupSeries(recordColumns(workorders, (w) => w.product, (w) => w.time, (w) => w.production));
}

/** A number, or NaN for anything else (counted as invalid later). */
export const numberOrNaN = (v: unknown): number => (typeof v === 'number' ? v : Number.NaN);

/** Records as typed columns: no boxed number per sample, and non-numbers become NaN (invalid). */
function recordColumns<T>(records: readonly T[], id: (r: T) => unknown, time: (r: T) => unknown, value: (r: T) => unknown): SampleColumns {
  const n = records.length;
  const ids = new Array<unknown>(n);
  const times = new Float64Array(n);
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const r = records[i];
    if (r === null || typeof r !== 'object') {
      times[i] = Number.NaN;
      continue; // no id: counted as unidentified
    }
    ids[i] = id(r);
    times[i] = numberOrNaN(time(r));
    values[i] = numberOrNaN(value(r));
  }
  return { id: ids, time: times, value: values };
}

/** Metric records or columns as sample columns; throws `ConfigError` for anything else. */
export function metricSampleColumns(metrics: readonly Metric[] | MetricColumns): SampleColumns {
  if (Array.isArray(metrics)) return recordColumns(metrics as readonly Metric[], (m) => m.id, (m) => m.time, (m) => m.val);
  const columns = metrics as MetricColumns | undefined;
  if (!columns || columns.id === undefined || columns.time === undefined || columns.val === undefined) {
    throw new ConfigError('rankCorrelations: metrics must be an array of {id, val, time} records or columns {id, val, time}', 'metrics');
  }
  return { id: columns.id, time: columns.time, value: columns.val };
}
