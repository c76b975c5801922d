/**
 * The per-parameter core of `rankCorrelations`, shared by the in-memory call and the streamed fold
 * (`correlationFold`): the products' intervals are formed once from the work orders; each parameter
 * is then prepared, aligned with every product's intervals and correlated as soon as its series is
 * complete, and only its outcome is kept. What stays in memory is, per product, its intervals, the
 * prepared output side, one small entry per parameter and the aligned points of the current top
 * `seriesTop`: proportional to products × intervals and parameters, never to samples.
 */
import { alignTrack, prepareTrack, type ParameterTrack } from './align.js';
import { correlatePair, prepareSide, type AlignedPairs, type PreparedSide } from './correlate.js';
import { looksLikeCounter, medianPositiveStep } from './counter.js';
import { compareIds } from './ids.js';
import { productIntervals, type ProductIntervals } from './intervals.js';
import type { GroupedSeries, TimeSeries } from './series.js';
import type {
  CorrelationResult,
  ExcludedParameter,
  ParameterSeries,
  ParameterSummary,
  ProductCorrelation,
  RankedParameter,
  ResolvedCorrelationOptions,
} from './types.js';

/** What is kept of one product while parameters come in. */
interface ProductState {
  readings: TimeSeries;
  intervals: ProductIntervals;
  /** Enough intervals to correlate anything. */
  usable: boolean;
  ranking: RankedParameter[];
  excluded: ExcludedParameter[];
  /** The output side over all intervals, shared by the parameters that cover them all. */
  fullY?: PreparedSide;
  /** The best `seriesTop` ranked entries so far, in ranking order, with their aligned pairs. */
  top: { entry: RankedParameter; pairs: AlignedPairs }[];
}

/** Ranking order: strongest |r| first, ties by parameter id. */
const byStrength = (a: RankedParameter, b: RankedParameter): number => Math.abs(b.r) - Math.abs(a.r) || compareIds(a.parameter, b.parameter);

/** Takes parameters one complete series at a time and gives the result at the end. */
export interface Ranker {
  /** Adds one parameter's complete series (sorted, distinct times). Each id at most once. */
  addParameter(series: TimeSeries): void;
  /** The result; `unidentifiedMetrics` = metric samples without a usable id. */
  result(unidentifiedMetrics: number): CorrelationResult;
}

/** A ranker for the products of `workorders` (grouped by product). */
export function createRanker(workorders: GroupedSeries, options: ResolvedCorrelationOptions): Ranker {
  const products: ProductState[] = workorders.series.map((readings) => {
    const intervals = productIntervals(readings, options.gapFactor, options.resetFactor);
    return { readings, intervals, usable: intervals.start.length >= options.minIntervals, ranking: [], excluded: [], top: [] };
  });
  const parameters: ParameterSummary[] = [];
  return {
    addParameter(series) {
      const track = prepareParameter(series, options);
      parameters.push(summariseParameter(track));
      for (const product of products) if (product.usable) addToProduct(product, track, options);
    },
    result(unidentifiedMetrics) {
      parameters.sort((a, b) => compareIds(a.parameter, b.parameter));
      return {
        options,
        parameters,
        products: products.map((product) => finishProduct(product, options)),
        unidentified: { metrics: unidentifiedMetrics, workorders: workorders.unidentified },
      };
    },
  };
}

type Track = ParameterTrack & { kindFrom: 'detected' | 'option' };

function prepareParameter(series: TimeSeries, options: ResolvedCorrelationOptions): Track {
  const forcedCounter = options.counters.includes(series.id);
  const forcedGauge = options.gauges.includes(series.id);
  const kindFrom = forcedCounter || forcedGauge ? 'option' : 'detected';
  const typical = forcedGauge ? 0 : medianPositiveStep(series.value);
  const counter = forcedCounter || (!forcedGauge && looksLikeCounter(series.value, options.resetFactor, options.counterRiseFraction, typical));
  return { ...prepareTrack(series, counter ? 'counter' : 'gauge', options.resetFactor, typical), kindFrom };
}

function summariseParameter(track: Track): ParameterSummary {
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

/** Aligns one parameter with a product's intervals and keeps the outcome. */
function addToProduct(product: ProductState, track: ParameterTrack, options: ResolvedCorrelationOptions): void {
  const { intervals } = product;
  const m = intervals.start.length;
  const pairs = pairUp(alignTrack(track, intervals, options.reachFactor), intervals);
  if (pairs.x.length === m && pairs.x.length >= options.minIntervals) product.fullY ??= prepareSide(pairs.t, pairs.y, options.detrend === 'linear');
  const measure = track.kind === 'counter' ? 'rate' : 'level';
  const parameter = track.series.id;
  const outcome = correlatePair(pairs, label(parameter), options, pairs.x.length === m ? product.fullY : undefined);
  if (!outcome.ok) {
    product.excluded.push({ parameter, kind: track.kind, measure, n: pairs.x.length, status: outcome.status, reason: outcome.reason });
    return;
  }
  const entry: RankedParameter = { parameter, kind: track.kind, measure, r: outcome.r, spearman: outcome.spearman, n: pairs.x.length, p: outcome.p, ci: outcome.ci };
  product.ranking.push(entry);
  keepTop(product.top, { entry, pairs }, options.seriesTop);
}

/** Inserts a ranked entry into the sorted top list and trims it to `size`. */
function keepTop(top: ProductState['top'], item: ProductState['top'][number], size: number): void {
  let at = top.length;
  while (at > 0 && byStrength(item.entry, top[at - 1]!.entry) < 0) at--;
  if (at >= size) return;
  top.splice(at, 0, item);
  if (top.length > size) top.length = size;
}

function finishProduct(product: ProductState, options: ResolvedCorrelationOptions): ProductCorrelation {
  const { readings, intervals } = product;
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
  if (!product.usable) {
    const reason =
      `only ${m} usable intervals between ${readings.time.length} readings ` +
      `(${intervals.gaps} skipped as gaps, ${intervals.resets} as counter resets); at least ${options.minIntervals} are needed`;
    return { ...base, status: 'insufficient-data', reason, ranking: [], excluded: [], series: [] };
  }
  const ranking = [...product.ranking].sort(byStrength);
  const excluded = [...product.excluded].sort((a, b) => compareIds(a.parameter, b.parameter));
  const series = product.top.map(({ entry, pairs }): ParameterSeries => ({
    parameter: entry.parameter,
    measure: entry.measure,
    t: Array.from(pairs.t),
    x: Array.from(pairs.x),
    y: Array.from(pairs.y),
  }));
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
