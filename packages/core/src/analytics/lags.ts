/**
 * The lag search: which process delays are tried for a product, the product's intervals shifted
 * back by each of them, and what the search costs in the p-values.
 *
 * Why Šidák over the grid (and not a permutation or block-bootstrap null): the correction is exact
 * for independent tries and conservative for correlated ones. Neighbouring lags are strongly
 * correlated (a gauge's level hardly changes from one interval to the next), so the effective number
 * of tries is smaller than the number of lags and the corrected p-value errs on the side of "not
 * significant", which is the side a search must err on. A resampling null would be sharper, but it
 * multiplies the cost (hundreds of resamples × lags × parameters × products) on year-scale data and
 * makes the result depend on random draws; the planted drivers this method is meant to find have
 * p-values so small that the factor of the lag count does not hide them.
 */
import type { ProductIntervals } from './intervals.js';

/** Lags (input time unit, ms for epoch-ms input) searched for a product: 0, step, 2·step, … ≤ maxLag. */
export function lagGrid(medianInterval: number, maxLagSeconds: number, maxLagSteps: number): Float64Array {
  const maxLag = maxLagSeconds * 1000;
  if (!(maxLag > 0) || !(medianInterval > 0)) return Float64Array.of(0);
  const step = Math.max(medianInterval, maxLag / maxLagSteps);
  const steps = Math.floor(maxLag / step + 1e-9);
  return Float64Array.from({ length: steps + 1 }, (_, k) => k * step);
}

/**
 * The intervals shifted back by `lag` (where the parameter is read for output over the originals),
 * written into `into` (reused from lag to lag, so the search holds one shifted copy per product).
 */
export function shiftIntervals(intervals: ProductIntervals, lag: number, into: { start: Float64Array; end: Float64Array }): ProductIntervals {
  if (lag === 0) return intervals;
  const { start, end } = into;
  for (let k = 0; k < intervals.start.length; k++) {
    start[k] = intervals.start[k]! - lag;
    end[k] = intervals.end[k]! - lag;
  }
  return { ...intervals, start, end };
}

/** Šidák's correction of the smallest of `tries` p-values: 1 − (1 − p)^tries, computed without cancellation. */
export function sidak(p: number, tries: number): number {
  if (tries <= 1 || p <= 0) return p;
  if (p >= 1) return 1;
  return Math.min(1, -Math.expm1(tries * Math.log1p(-p)));
}

/**
 * Holm's step-down adjustment of p-values given in ascending order: the family-wise adjusted
 * p-values, in the same order (monotone, at most 1).
 */
export function holmAdjusted(ascending: readonly number[]): number[] {
  const m = ascending.length;
  const out: number[] = [];
  let running = 0;
  ascending.forEach((p, i) => {
    running = Math.max(running, Math.min(1, (m - i) * p));
    out.push(running);
  });
  return out;
}
