/**
 * A product's production intervals: the spans between consecutive readings of its cumulative
 * counter, each with its output rate. Each product is handled on its own time line, so products
 * that run at the same time or take turns never mix.
 *
 * - Output of an interval = difference of the two readings; it is compared as a *rate* (output per
 *   second of input time: difference ÷ duration × 1000 for epoch ms), so intervals of different
 *   lengths are comparable. Cumulative production itself is never correlated: it trends, and any
 *   other trending series would correlate with it.
 * - An interval containing a counter reset is skipped: the count reached before the reset is
 *   unknown, so taking the new reading as the output would understate it.
 * - An interval longer than `gapFactor` × the product's median interval is skipped: the product was
 *   not running (or not reporting) for most of it, so its rate says nothing about the parameters.
 */
import { median, unwrapCounter } from './counter.js';
import type { TimeSeries } from './series.js';

/** The usable intervals of one product, in time order, as parallel arrays. */
export interface ProductIntervals {
  start: Float64Array;
  end: Float64Array;
  /** Output per second (per 1000 input time units) over the interval. */
  rate: Float64Array;
  /** Median time between consecutive readings. */
  medianInterval: number;
  /** Intervals skipped as too long. */
  gaps: number;
  /** Intervals skipped because the counter was reset in them. */
  resets: number;
}

/** Forms the usable intervals of a product's production counter (readings sorted, distinct times). */
export function productIntervals(readings: TimeSeries, gapFactor: number, resetFactor: number): ProductIntervals {
  const { time, value } = readings;
  const steps = Math.max(0, time.length - 1);
  const durations = new Float64Array(steps);
  for (let i = 0; i < steps; i++) durations[i] = time[i + 1]! - time[i]!;
  const medianInterval = median(durations) ?? 0; // median() copies: the durations are used in order below
  const counter = unwrapCounter(value, resetFactor);
  const start = new Float64Array(steps);
  const end = new Float64Array(steps);
  const rate = new Float64Array(steps);
  let m = 0;
  let gaps = 0;
  let resets = 0;
  for (let i = 0; i < steps; i++) {
    const duration = durations[i]!;
    if (duration > gapFactor * medianInterval) {
      gaps++;
      continue;
    }
    if (counter.resetsUpTo[i + 1] !== counter.resetsUpTo[i]) {
      resets++;
      continue;
    }
    start[m] = time[i]!;
    end[m] = time[i + 1]!;
    rate[m] = ((counter.value[i + 1]! - counter.value[i]!) / duration) * 1000;
    m++;
  }
  return { start: start.subarray(0, m), end: end.subarray(0, m), rate: rate.subarray(0, m), medianInterval, gaps, resets };
}
