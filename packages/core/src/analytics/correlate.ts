/**
 * The statistics of one (parameter, product) pair of aligned series, or the reason there are none.
 * With linear detrending both sides lose their least-squares line against time first; that uses up
 * one degree of freedom, which the p-value (t with n − 3 df) and the interval (√(n − 4)) account for.
 *
 * Consecutive intervals are not independent (machine states persist), so the p-value and interval
 * use an effective number of pairs: n × (1 − a·b) ÷ (1 + a·b), where a and b are the lag-1
 * autocorrelations of the two (detrended) series (the AR(1) approximation of Bretherton et al.,
 * 1999); without it two smooth unrelated series look related far too often.
 */
import { averageRanks, correlationPValue, fisherInterval, linearDetrend, pearson, sumOfSquares } from './statistics.js';
import type { ExclusionStatus, ResolvedCorrelationOptions } from './types.js';

/** Aligned pairs: interval midpoints, parameter values, output rates. */
export interface AlignedPairs {
  t: Float64Array;
  x: Float64Array;
  y: Float64Array;
}

/** The statistics of a pair, or why it has none. */
export type PairOutcome =
  | { ok: true; r: number; spearman: number; nEffective: number; p: number; ci: [number, number] }
  | { ok: false; status: ExclusionStatus; reason: string };

/** Whether values are constant up to floating-point noise. */
function isConstant(values: Float64Array): boolean {
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return max - min <= 1e-12 * Math.max(Math.abs(min), Math.abs(max));
}

/** One side of a pair, ready to correlate: constant or not, detrended values, their ranks. */
export interface PreparedSide {
  constant: boolean;
  /** Nothing left after detrending (the values lie on a straight line in time). */
  flat: boolean;
  values: Float64Array;
  ranks: Float64Array;
}

/**
 * Prepares one side (checks, detrending, ranks). Reusable across pairs that share the same intervals.
 * Without `withRanks` the ranks are left out (`ranks` = `values`): enough for r and p alone.
 */
export function prepareSide(time: Float64Array, raw: Float64Array, detrend: boolean, withRanks = true): PreparedSide {
  const constant = isConstant(raw);
  const values = detrend && !constant ? linearDetrend(time, raw) : raw;
  const flat = detrend && !constant && sumOfSquares(values) <= 1e-20 * sumOfSquares(raw);
  return { constant, flat, values, ranks: constant || flat || !withRanks ? values : averageRanks(values) };
}

/** Lag-1 autocorrelation of a series in its given order (0 when it does not exist). */
export function lagOneAutocorrelation(values: ArrayLike<number>): number {
  const n = values.length;
  if (n < 3) return 0;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += values[i]!;
  mean /= n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    const d = values[i]! - mean;
    den += d * d;
    if (i + 1 < n) num += d * (values[i + 1]! - mean);
  }
  return den > 0 ? num / den : 0;
}

/**
 * Effective number of independent pairs of two autocorrelated series (AR(1) approximation):
 * n × (1 − a·b) ÷ (1 + a·b), never above n, and never so low that no degree of freedom is left
 * (at least `covariates` + 4 when n allows it).
 */
export function effectivePairs(n: number, a: number, b: number, covariates: number): number {
  const ab = a * b;
  const shrunk = ab > 0 ? (n * (1 - ab)) / (1 + ab) : n;
  return Math.min(n, Math.max(shrunk, Math.min(n, covariates + 4)));
}

/**
 * Correlates one aligned pair. `label` names the parameter in reasons; `preparedY` may carry the
 * output side when it was prepared for exactly these intervals already.
 */
export function correlatePair(
  pairs: AlignedPairs,
  label: string,
  options: ResolvedCorrelationOptions,
  preparedY?: PreparedSide,
  withSpearman = true,
): PairOutcome {
  const n = pairs.x.length;
  if (n < options.minIntervals) {
    return {
      ok: false,
      status: 'too-few-intervals',
      reason: `only ${n} intervals have a value of ${label} (at least ${options.minIntervals} needed); its samples are too sparse or too far from the product's intervals`,
    };
  }
  const detrend = options.detrend === 'linear';
  const x = prepareSide(pairs.t, pairs.x, detrend, withSpearman);
  const y = preparedY ?? prepareSide(pairs.t, pairs.y, detrend, withSpearman);
  if (x.constant) return { ok: false, status: 'zero-variance', reason: `${label} does not vary over the product's intervals` };
  if (y.constant) return { ok: false, status: 'zero-variance', reason: `the output rate does not vary over the intervals where ${label} has values` };
  if (x.flat || y.flat) {
    return { ok: false, status: 'zero-variance', reason: `${label} or the output rate only moves along a straight line in time: nothing is left after detrending` };
  }
  const covariates = detrend ? 1 : 0;
  const r = pearson(x.values, y.values);
  const rho = withSpearman ? pearson(x.ranks, y.ranks) : 0;
  const nEffective = effectivePairs(n, lagOneAutocorrelation(x.values), lagOneAutocorrelation(y.values), covariates);
  const p = r === undefined ? undefined : correlationPValue(r, nEffective, covariates);
  const ci = r === undefined ? undefined : fisherInterval(r, nEffective, options.confidenceLevel, covariates);
  if (r === undefined || rho === undefined || p === undefined || ci === undefined) {
    return { ok: false, status: 'zero-variance', reason: `${label} or the output rate has no variance left to correlate` };
  }
  return { ok: true, r, spearman: rho, nEffective, p, ci };
}
