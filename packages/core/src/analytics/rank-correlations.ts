/**
 * `rankCorrelations`: which machine parameters move with each product's output. Pure and
 * deterministic: the same samples in any order, with or without exact duplicates, give the same
 * result.
 *
 * Method, per product (see `intervals.ts`, `align.ts`, `correlate.ts` for the details):
 * 1. Readings of the product's cumulative counter, sorted, duplicates dropped, form intervals;
 *    intervals with a reset or longer than `gapFactor` × the median interval are skipped.
 *    The output of an interval is compared as a rate (difference ÷ duration).
 * 2. Each parameter gets a value per interval: a gauge its mean level (or the interpolated level at
 *    the midpoint), a counter (detected, or named in `counters`) its rate of increase.
 * 3. Both series lose their linear time trend (`detrend: 'linear'`, default), so slow drifts that
 *    happen to run together are not reported as relations; then Pearson r, Spearman rho, a
 *    two-sided p-value and a Fisher-z confidence interval are computed.
 * 4. Parameters are ranked by |r|, ties by id. Pairs with too few intervals or no variance are
 *    listed under `excluded` with the reason.
 *
 * Caveat: consecutive intervals are not independent (machine states persist), so p-values are
 * optimistic; read them as a ranking aid rather than a test.
 */
import { ConfigError } from '../errors.js';
import type { Metric, Workorder } from '../schemas/machine-data.js';
import { alignTrack, prepareTrack, type ParameterTrack } from './align.js';
import { correlatePair, prepareSide, type AlignedPairs, type PreparedSide } from './correlate.js';
import { looksLikeCounter, medianPositiveStep } from './counter.js';
import { compareIds } from './ids.js';
import { productIntervals, type ProductIntervals } from './intervals.js';
import { resolveCorrelationOptions } from './options.js';
import { groupSeries, type SampleColumns, type TimeSeries } from './series.js';
import type {
  CorrelationOptions,
  CorrelationResult,
  ExcludedParameter,
  MetricColumns,
  ParameterSeries,
  ParameterSummary,
  ProductCorrelation,
  RankedParameter,
  ResolvedCorrelationOptions,
} from './types.js';

/**
 * Ranks, per product, every parameter by the strength of its relation to the product's output rate.
 * `metrics` are records or columns (time in epoch ms); `workorders` are readings of each product's
 * cumulative production counter. Bad values are counted in the result, never thrown on; a
 * `ConfigError` is thrown only for unusable arguments or options.
 */
export function rankCorrelations(
  metrics: readonly Metric[] | MetricColumns,
  workorders: readonly Workorder[],
  options: CorrelationOptions = {},
): CorrelationResult {
  const resolved = resolveCorrelationOptions(options);
  if (!Array.isArray(workorders)) {
    throw new ConfigError('rankCorrelations: workorders must be an array of {time, product, production} readings', 'workorders');
  }
  const parameterGroups = groupSeries(metricSampleColumns(metrics));
  const productGroups = groupSeries(workorderSampleColumns(workorders));
  const tracks = parameterGroups.series.map((series) => prepareParameter(series, resolved));
  return {
    options: resolved,
    parameters: tracks.map(summariseParameter),
    products: productGroups.series.map((series) => analyseProduct(series, tracks, resolved)),
    unidentified: { metrics: parameterGroups.unidentified, workorders: productGroups.unidentified },
  };
}

/** A number, or NaN for anything else (counted as invalid later). */
const numberOrNaN = (v: unknown): number => (typeof v === 'number' ? v : Number.NaN);

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

function metricSampleColumns(metrics: readonly Metric[] | MetricColumns): SampleColumns {
  if (Array.isArray(metrics)) return recordColumns(metrics as readonly Metric[], (m) => m.id, (m) => m.time, (m) => m.val);
  const columns = metrics as MetricColumns | undefined;
  if (!columns || columns.id === undefined || columns.time === undefined || columns.val === undefined) {
    throw new ConfigError('rankCorrelations: metrics must be an array of {id, val, time} records or columns {id, val, time}', 'metrics');
  }
  return { id: columns.id, time: columns.time, value: columns.val };
}

function workorderSampleColumns(workorders: readonly Workorder[]): SampleColumns {
  return recordColumns(workorders, (w) => w.product, (w) => w.time, (w) => w.production);
}

function prepareParameter(series: TimeSeries, options: ResolvedCorrelationOptions): ParameterTrack & { kindFrom: 'detected' | 'option' } {
  const forcedCounter = options.counters.includes(series.id);
  const forcedGauge = options.gauges.includes(series.id);
  const kindFrom = forcedCounter || forcedGauge ? 'option' : 'detected';
  const typical = forcedGauge ? 0 : medianPositiveStep(series.value);
  const counter = forcedCounter || (!forcedGauge && looksLikeCounter(series.value, options.resetFactor, options.counterRiseFraction, typical));
  return { ...prepareTrack(series, counter ? 'counter' : 'gauge', options.resetFactor, typical), kindFrom };
}

function summariseParameter(track: ParameterTrack & { kindFrom: 'detected' | 'option' }): ParameterSummary {
  const { series } = track;
  return {
    parameter: series.id,
    kind: track.kind,
    kindFrom: track.kindFrom,
    samples: series.time.length,
    duplicates: series.duplicates,
    invalid: series.invalid,
    resets: track.resets,
  };
}

const label = (id: unknown): string => `parameter ${JSON.stringify(id)}`;

function analyseProduct(readings: TimeSeries, tracks: readonly ParameterTrack[], options: ResolvedCorrelationOptions): ProductCorrelation {
  const intervals = productIntervals(readings, options.gapFactor, options.resetFactor);
  const m = intervals.start.length;
  const base = {
    product: readings.id,
    readings: readings.time.length,
    duplicates: readings.duplicates,
    invalid: readings.invalid,
    intervals: m,
    skipped: { gaps: intervals.gaps, resets: intervals.resets },
    medianInterval: intervals.medianInterval,
  };
  if (m < options.minIntervals) {
    const reason =
      `only ${m} usable intervals between ${readings.time.length} readings ` +
      `(${intervals.gaps} skipped as gaps, ${intervals.resets} as counter resets); at least ${options.minIntervals} are needed`;
    return { ...base, status: 'insufficient-data', reason, ranking: [], excluded: [], series: [] };
  }
  const ranking: RankedParameter[] = [];
  const excluded: ExcludedParameter[] = [];
  const aligned = new Map<RankedParameter, AlignedPairs>();
  let fullY: PreparedSide | undefined; // the output side over all intervals, shared by the parameters that cover them all
  for (const track of tracks) {
    const pairs = pairUp(alignTrack(track, intervals, options.reachFactor), intervals);
    if (pairs.x.length === m && pairs.x.length >= options.minIntervals) fullY ??= prepareSide(pairs.t, pairs.y, options.detrend === 'linear');
    const measure = track.kind === 'counter' ? 'rate' : 'level';
    const parameter = track.series.id;
    const outcome = correlatePair(pairs, label(parameter), options, pairs.x.length === m ? fullY : undefined);
    if (!outcome.ok) {
      excluded.push({ parameter, kind: track.kind, measure, n: pairs.x.length, status: outcome.status, reason: outcome.reason });
      continue;
    }
    const entry: RankedParameter = { parameter, kind: track.kind, measure, r: outcome.r, spearman: outcome.spearman, n: pairs.x.length, p: outcome.p, ci: outcome.ci };
    ranking.push(entry);
    aligned.set(entry, pairs);
  }
  ranking.sort((a, b) => Math.abs(b.r) - Math.abs(a.r) || compareIds(a.parameter, b.parameter));
  const series = ranking.slice(0, options.seriesTop).map((entry): ParameterSeries => {
    const pairs = aligned.get(entry)!;
    return { parameter: entry.parameter, measure: entry.measure, t: Array.from(pairs.t), x: Array.from(pairs.x), y: Array.from(pairs.y) };
  });
  return { ...base, status: 'ok', ranking, excluded, series };
}

/** Keeps the intervals where the parameter has a value: midpoints, parameter values, output rates. */
function pairUp(values: Float64Array, intervals: ProductIntervals): AlignedPairs {
  let n = 0;
  for (const v of values) if (!Number.isNaN(v)) n++;
  const t = new Float64Array(n);
  const x = new Float64Array(n);
  const y = new Float64Array(n);
  let j = 0;
  for (let k = 0; k < values.length; k++) {
    const v = values[k]!;
    if (Number.isNaN(v)) continue;
    t[j] = (intervals.start[k]! + intervals.end[k]!) / 2;
    x[j] = v;
    y[j] = intervals.rate[k]!;
    j++;
  }
  return { t, x, y };
}
