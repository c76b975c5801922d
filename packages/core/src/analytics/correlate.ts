/**
 * The statistics of one (parameter, product) pair of aligned series, or the reason there are none.
 * With linear detrending both sides lose their least-squares line against time first; that uses up
 * one degree of freedom, which the p-value (t with n − 3 df) and the interval (√(n − 4)) account for.
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
  | { ok: true; r: number; spearman: number; p: number; ci: [number, number] }
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

/** Prepares one side (checks, detrending, ranks). Reusable across pairs that share the same intervals. */
export function prepareSide(time: Float64Array, raw: Float64Array, detrend: boolean): PreparedSide {
  const constant = isConstant(raw);
  const values = detrend && !constant ? linearDetrend(time, raw) : raw;
  const flat = detrend && !constant && sumOfSquares(values) <= 1e-20 * sumOfSquares(raw);
  return { constant, flat, values, ranks: constant || flat ? values : averageRanks(values) };
}

/**
 * Correlates one aligned pair. `label` names the parameter in reasons; `preparedY` may carry the
 * output side when it was prepared for exactly these intervals already.
 */
export function correlatePair(pairs: AlignedPairs, label: string, options: ResolvedCorrelationOptions, preparedY?: PreparedSide): PairOutcome {
  const n = pairs.x.length;
  if (n < options.minIntervals) {
    return {
      ok: false,
      status: 'too-few-intervals',
      reason: `only ${n} intervals have a value of ${label} (at least ${options.minIntervals} needed); its samples are too sparse or too far from the product's intervals`,
    };
  }
  const detrend = options.detrend === 'linear';
  const x = prepareSide(pairs.t, pairs.x, detrend);
  const y = preparedY ?? prepareSide(pairs.t, pairs.y, detrend);
  if (x.constant) return { ok: false, status: 'zero-variance', reason: `${label} does not vary over the product's intervals` };
  if (y.constant) return { ok: false, status: 'zero-variance', reason: `the output rate does not vary over the intervals where ${label} has values` };
  if (x.flat || y.flat) {
    return { ok: false, status: 'zero-variance', reason: `${label} or the output rate only moves along a straight line in time: nothing is left after detrending` };
  }
  const covariates = detrend ? 1 : 0;
  const r = pearson(x.values, y.values);
  const rho = pearson(x.ranks, y.ranks);
  const p = r === undefined ? undefined : correlationPValue(r, n, covariates);
  const ci = r === undefined ? undefined : fisherInterval(r, n, options.confidenceLevel, covariates);
  if (r === undefined || rho === undefined || p === undefined || ci === undefined) {
    return { ok: false, status: 'zero-variance', reason: `${label} or the output rate has no variance left to correlate` };
  }
  return { ok: true, r, spearman: rho, p, ci };
}
