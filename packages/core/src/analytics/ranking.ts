/**
 * The per-parameter core of `rankCorrelations`, shared by the in-memory call and the streamed fold
 * (`correlationFold`): the products' intervals are formed once from the work orders; each parameter is then prepared, aligned with every
 * product's intervals at every lag and correlated as soon as its series is complete, and only its
 * outcome is kept: the lag with the smallest p-value, that p-value corrected for the lags tried
 * (Šidák, see `lags.ts`), and r at every lag (the lag profile). What stays in memory is, per
 * product, its intervals (and one shifted copy, reused from lag to lag), the prepared output side,
 * one small entry per parameter (its lag profile included) and the aligned points of the current top
 * `seriesTop`: proportional to products × intervals and parameters × lags, never to samples.
 */
import { alignTrack, prepareTrack, type ParameterTrack } from './align.js';
import { correlatePair, prepareSide, type AlignedPairs, type PreparedSide } from './correlate.js';
import { looksLikeCounter, medianPositiveStep } from './counter.js';
import { compareIds } from './ids.js';
import { productIntervals, type ProductIntervals } from './intervals.js';
import { holmAdjusted, lagGrid, shiftIntervals, sidak } from './lags.js';
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
  /** The lags searched (input time unit), 0 first. */
  lags: Float64Array;
  /** Scratch for the intervals shifted back by the lag being tried (one copy, reused). */
  shifted: { start: Float64Array; end: Float64Array };
  /** Scratch for one lag's aligned values and pairs (reused from lag to lag and parameter to parameter). */
  scratch: { aligned: Float64Array; t: Float64Array; x: Float64Array; y: Float64Array };
  /** Enough intervals to correlate anything. */
  usable: boolean;
  ranking: RankedParameter[];
  excluded: ExcludedParameter[];
  /** The output side over all intervals, shared by the parameters that cover them all. */
  fullY?: PreparedSide;
  /** The best `seriesTop` ranked entries so far, in ranking order, with their aligned pairs. */
  top: { entry: RankedParameter; pairs: AlignedPairs }[];
}

/**
 * Strongest relation first: |r| at each parameter's chosen lag, then the corrected p, then the id.
 * Within a product every parameter has the same intervals and the same lag grid, so |r| orders
 * them as a p-value on those intervals would; the reported p (effective n, Šidák over the lags)
 * says how far to trust each entry, and `significant` whether it holds up at all.
 */
const byStrength = (a: RankedParameter, b: RankedParameter): number =>
  Math.abs(b.r) - Math.abs(a.r) || a.p - b.p || compareIds(a.parameter, b.parameter);

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
    const usable = intervals.start.length >= options.minIntervals;
    const lags = lagGrid(intervals.medianInterval, options.maxLagSeconds, options.maxLagSteps);
    const size = usable && lags.length > 1 ? intervals.start.length : 0;
    const shifted = { start: new Float64Array(size), end: new Float64Array(size) };
    const m = usable ? intervals.start.length : 0;
    const scratch = { aligned: new Float64Array(m), t: new Float64Array(m), x: new Float64Array(m), y: new Float64Array(m) };
    return { readings, intervals, lags, shifted, scratch, usable, ranking: [], excluded: [], top: [] };
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

/** The best lag so far: its index, aligned pairs and (uncorrected) statistics. */
interface LagCandidate {
  k: number;
  pairs: AlignedPairs;
  p: number;
  r: number;
}

/**
 * Aligns one parameter with a product's intervals at every lag, keeps the lag with the smallest
 * p-value (then the strongest |r|, then the shortest lag) and records its outcome, its p-value
 * corrected for the lags tried.
 */
function addToProduct(product: ProductState, track: ParameterTrack, options: ResolvedCorrelationOptions): void {
  const { intervals, lags, shifted, scratch } = product;
  const m = intervals.start.length;
  const measure = track.kind === 'counter' ? 'rate' : 'level';
  const parameter = track.series.id;
  const detrend = options.detrend === 'linear';
  const profile: RankedParameter['lagProfile'] = { lagSeconds: [], r: [] };
  let best: LagCandidate | undefined;
  let failure: ExcludedParameter | undefined;
  for (let k = 0; k < lags.length; k++) {
    const pairs = pairUp(alignTrack(track, shiftIntervals(intervals, lags[k]!, shifted), options.reachFactor, scratch.aligned), intervals, scratch);
    const full = pairs.x.length === m;
    if (full && m >= options.minIntervals) product.fullY ??= prepareSide(pairs.t.slice(), pairs.y.slice(), detrend);
    const outcome = correlatePair(pairs, label(parameter), options, full ? product.fullY : undefined, false);
    if (!outcome.ok) {
      failure ??= { parameter, kind: track.kind, measure, n: pairs.x.length, status: outcome.status, reason: outcome.reason };
      continue;
    }
    profile.lagSeconds.push(lags[k]! / 1000);
    profile.r.push(outcome.r);
    if (best === undefined || outcome.p < best.p || (outcome.p === best.p && Math.abs(outcome.r) > Math.abs(best.r))) {
      best = { k, pairs: { t: pairs.t.slice(), x: pairs.x.slice(), y: pairs.y.slice() }, p: outcome.p, r: outcome.r }; // the scratch is reused
    }
  }
  const final = best && correlatePair(best.pairs, label(parameter), options, best.pairs.x.length === m ? product.fullY : undefined);
  if (best === undefined || final === undefined || !final.ok) {
    const reason = final && !final.ok ? final : failure!;
    product.excluded.push({ parameter, kind: track.kind, measure, n: best?.pairs.x.length ?? failure!.n, status: reason.status, reason: reason.reason });
    return;
  }
  const tries = profile.r.length;
  const entry: RankedParameter = {
    parameter,
    kind: track.kind,
    measure,
    lagSeconds: lags[best.k]! / 1000,
    r: final.r,
    spearman: final.spearman,
    n: best.pairs.x.length,
    nEffective: final.nEffective,
    p: sidak(final.p, tries),
    lags: tries,
    significant: false,
    ci: final.ci,
    lagProfile: profile,
  };
  product.ranking.push(entry);
  keepTop(product.top, { entry, pairs: best.pairs }, options.seriesTop);
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
    lagGridSeconds: Array.from(product.lags, (lag) => lag / 1000),
  };
  if (!product.usable) {
    const reason =
      `only ${m} usable intervals between ${readings.time.length} readings ` +
      `(${intervals.gaps} skipped as gaps, ${intervals.resets} as counter resets); at least ${options.minIntervals} are needed`;
    return { ...base, status: 'insufficient-data', reason, ranking: [], excluded: [], series: [] };
  }
  const ranking = [...product.ranking].sort(byStrength);
  const adjusted = holmAdjusted(ranking.map((e) => e.p));
  ranking.forEach((e, i) => (e.significant = adjusted[i]! < options.significanceLevel));
  const excluded = [...product.excluded].sort((a, b) => compareIds(a.parameter, b.parameter));
  const series = product.top.map(({ entry, pairs }): ParameterSeries => ({
    parameter: entry.parameter,
    measure: entry.measure,
    lagSeconds: entry.lagSeconds,
    t: Array.from(pairs.t),
    x: Array.from(pairs.x),
    y: Array.from(pairs.y),
  }));
  return { ...base, status: 'ok', ranking, excluded, series };
}

/**
 * Keeps the intervals where the parameter has a value: midpoints, parameter values, output rates,
 * written into the front of `into` (views of it are returned).
 */
function pairUp(values: Float64Array, intervals: ProductIntervals, into: { t: Float64Array; x: Float64Array; y: Float64Array }): AlignedPairs {
  let j = 0;
  for (let k = 0; k < values.length; k++) {
    const v = values[k]!;
    if (Number.isNaN(v)) continue;
    into.t[j] = (intervals.start[k]! + intervals.end[k]!) / 2;
    into.x[j] = v;
    into.y[j] = intervals.rate[k]!;
    j++;
  }
  return { t: into.t.subarray(0, j), x: into.x.subarray(0, j), y: into.y.subarray(0, j) };
}
