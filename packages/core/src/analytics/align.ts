/**
 * Puts a parameter on a product's intervals with one two-pointer sweep (the samples and the
 * intervals are both in time order; nothing rescans the samples per interval).
 *
 * - Gauge: its level over an interval is the mean of its samples inside [start, end); an interval
 *   without samples gets the linear interpolation at its midpoint between the nearest sample before
 *   and after, if both lie within `reach` of the midpoint; otherwise it has no value.
 * - Counter: its rate over an interval is the increase of the (reset-free) counter between the
 *   interval's ends ÷ the duration × 1000, each end interpolated between its neighbouring samples
 *   within `reach`. A counter's level is never used (it only says how long it has been counting),
 *   and a span containing a reset of the counter has no value.
 */
import { medianInPlace, unwrapCounter } from './counter.js';
import type { ProductIntervals } from './intervals.js';
import type { TimeSeries } from './series.js';
import type { ParameterKind } from './types.js';

/** A parameter prepared once for aligning with every product. */
export interface ParameterTrack {
  series: TimeSeries;
  kind: ParameterKind;
  /** Median time between consecutive samples (0 with fewer than two samples). */
  medianStep: number;
  /** Gauges: prefix sums of (value − value[0]), length n + 1. Counters: reset-free counter values. */
  values: Float64Array;
  /** Counters only: resets among the steps up to each sample. */
  resetsUpTo?: Uint32Array;
  resets: number;
}

/** Prepares a parameter's samples (sorted, distinct times) for aligning; `typicalStep` = median positive step (counters). */
export function prepareTrack(series: TimeSeries, kind: ParameterKind, resetFactor: number, typicalStep?: number): ParameterTrack {
  const { time, value } = series;
  const n = time.length;
  const steps = new Float64Array(Math.max(0, n - 1));
  for (let i = 1; i < n; i++) steps[i - 1] = time[i]! - time[i - 1]!;
  const medianStep = medianInPlace(steps) ?? 0;
  if (kind === 'counter') {
    const counter = unwrapCounter(value, resetFactor, typicalStep);
    return { series, kind, medianStep, values: counter.value, resetsUpTo: counter.resetsUpTo, resets: counter.resets };
  }
  const prefix = new Float64Array(n + 1);
  const base = n > 0 ? value[0]! : 0; // subtracting a reference keeps prefix sums precise for large offsets
  for (let i = 0; i < n; i++) prefix[i + 1] = prefix[i]! + (value[i]! - base);
  return { series, kind, medianStep, values: prefix, resets: 0 };
}

/**
 * The parameter's level (gauge) or rate (counter) on each interval; NaN where it has no value.
 * `reachFactor` scales the larger of the product's median interval and the parameter's median step.
 * `into` (optional, at least as long as the intervals) is written instead of a new array.
 */
export function alignTrack(track: ParameterTrack, intervals: ProductIntervals, reachFactor: number, into?: Float64Array): Float64Array {
  const { start, end } = intervals;
  const m = start.length;
  const out = (into && into.length >= m ? into.subarray(0, m) : new Float64Array(m)).fill(Number.NaN);
  const time = track.series.time;
  const n = time.length;
  if (n === 0) return out;
  const reach = reachFactor * Math.max(intervals.medianInterval, track.medianStep);
  const counter = track.kind === 'counter';
  const values = track.values;
  const raw = track.series.value;
  const base = raw[0]!;
  let lo = 0; // first sample with time ≥ start
  let hi = 0; // first sample with time ≥ end
  for (let k = 0; k < m; k++) {
    const s = start[k]!;
    const e = end[k]!;
    while (lo < n && time[lo]! < s) lo++;
    if (hi < lo) hi = lo;
    while (hi < n && time[hi]! < e) hi++;
    if (counter) {
      out[k] = counterRate(track, values, s, e, lo, hi, reach);
    } else if (hi > lo) {
      out[k] = (values[hi]! - values[lo]!) / (hi - lo) + base;
    } else if (lo > 0 && lo < n) {
      const mid = (s + e) / 2;
      const t0 = time[lo - 1]!;
      const t1 = time[lo]!;
      if (mid - t0 <= reach && t1 - mid <= reach) out[k] = raw[lo - 1]! + ((raw[lo]! - raw[lo - 1]!) * (mid - t0)) / (t1 - t0);
    }
  }
  return out;
}

/** Rate of a counter between `s` and `e`; `lo`/`hi` are the first samples at or after each end. */
function counterRate(track: ParameterTrack, unwrapped: Float64Array, s: number, e: number, lo: number, hi: number, reach: number): number {
  const time = track.series.time;
  const from = bracket(time, s, lo, reach);
  const to = bracket(time, e, hi, reach);
  if (from < 0 || to < 0) return Number.NaN;
  const resetsUpTo = track.resetsUpTo!;
  if (resetsUpTo[Math.ceil(to)] !== resetsUpTo[Math.floor(from)]) return Number.NaN;
  return ((interpolateAt(unwrapped, to) - interpolateAt(unwrapped, from)) / (e - s)) * 1000;
}

/**
 * Fractional sample position of time `at`, given `next` = first sample with time ≥ `at`: an integer
 * when a sample lies exactly there, else between its two neighbours if both are within `reach`;
 * −1 when it cannot be placed.
 */
function bracket(time: Float64Array, at: number, next: number, reach: number): number {
  if (next < time.length && time[next] === at) return next;
  if (next === 0 || next >= time.length) return -1;
  const t0 = time[next - 1]!;
  const t1 = time[next]!;
  if (at - t0 > reach || t1 - at > reach) return -1;
  return next - 1 + (at - t0) / (t1 - t0);
}

/** Linear interpolation of `values` at a fractional index. */
function interpolateAt(values: Float64Array, position: number): number {
  const i = Math.floor(position);
  const f = position - i;
  return f === 0 ? values[i]! : values[i]! + (values[i + 1]! - values[i]!) * f;
}
