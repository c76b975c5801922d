/**
 * Cumulative counters: telling a reset from noise, removing resets, and recognising which
 * parameters are counters. One rule serves production counters and counter parameters alike.
 *
 * A drop is a reset when it is larger than half the previous reading (the counter went back
 * towards zero) or larger than `resetFactor` × the median positive step (far beyond reading
 * noise). Smaller drops are reading noise and stay as they are (a slightly negative increase),
 * so noise does not bias the output upwards.
 */

/** Median of the values (`undefined` when there are none), by quickselect in linear time. Does not modify its input. */
export function median(values: ArrayLike<number>): number | undefined {
  const work = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) work[i] = values[i]!;
  return medianInPlace(work);
}

/** `median` of a scratch array, which it reorders (no copy). */
export function medianInPlace(work: Float64Array): number | undefined {
  const n = work.length;
  if (n === 0) return undefined;
  const mid = n >> 1;
  const upper = select(work, mid);
  if (n % 2) return upper;
  let lower = -Infinity; // the largest value left of `mid` after selection
  for (let i = 0; i < mid; i++) if (work[i]! > lower) lower = work[i]!;
  return (lower + upper) / 2;
}

/** Rearranges `a` so that a[k] is the k-th smallest, smaller ones before it, larger ones after; returns a[k]. */
function select(a: Float64Array, k: number): number {
  let lo = 0;
  let hi = a.length - 1;
  while (hi > lo) {
    const pivot = medianOfThree(a[lo]!, a[(lo + hi) >> 1]!, a[hi]!);
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        const t = a[i]!;
        a[i] = a[j]!;
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else break;
  }
  return a[k]!;
}

function medianOfThree(a: number, b: number, c: number): number {
  return a < b ? (b < c ? b : a < c ? c : a) : a < c ? a : b < c ? c : b;
}

/** Median of the positive steps between consecutive values, 0 when nothing rises. */
export function medianPositiveStep(values: ArrayLike<number>): number {
  const steps = new Float64Array(Math.max(0, values.length - 1));
  let k = 0;
  for (let i = 1; i < values.length; i++) {
    const step = values[i]! - values[i - 1]!;
    if (step > 0) steps[k++] = step;
  }
  return medianInPlace(steps.subarray(0, k)) ?? 0;
}

/** Whether the step from `prev` to `cur` is a counter reset (see the module comment). */
export function isCounterReset(prev: number, cur: number, typicalStep: number, resetFactor: number): boolean {
  const drop = prev - cur;
  return drop > 0 && (drop > 0.5 * Math.abs(prev) || drop > resetFactor * typicalStep);
}

/** A counter with its resets taken out. */
export interface UnwrappedCounter {
  /** Cumulative increase since the first reading, continuous across resets. */
  value: Float64Array;
  /**
   * `resetsUpTo[i]` = resets among the steps into readings 1…i. The increase between readings a < b
   * is known only when `resetsUpTo[b] === resetsUpTo[a]`: what the counter reached before a reset
   * is unknown, so a span containing one has no trustworthy increase.
   */
  resetsUpTo: Uint32Array;
  resets: number;
}

/** Removes resets from a counter (readings in time order); `typical` = its median positive step. */
export function unwrapCounter(values: ArrayLike<number>, resetFactor: number, typical = medianPositiveStep(values)): UnwrappedCounter {
  const n = values.length;
  const value = new Float64Array(n);
  const resetsUpTo = new Uint32Array(n);
  let resets = 0;
  for (let i = 1; i < n; i++) {
    const prev = values[i - 1]!;
    const cur = values[i]!;
    if (isCounterReset(prev, cur, typical, resetFactor)) {
      resets++;
      value[i] = value[i - 1]!;
    } else value[i] = value[i - 1]! + (cur - prev);
    resetsUpTo[i] = resets;
  }
  return { value, resetsUpTo, resets };
}

/**
 * Whether a series (in time order) looks like a cumulative counter: at least 5 readings, at least
 * `riseFraction` of its non-zero, non-reset steps rise, at least half of all steps rise (a gauge that
 * mostly holds still is not a counter), and resets are rare (at most 2 % of steps, at least 1 allowed).
 * `typical` = the median positive step, when the caller has it already.
 */
export function looksLikeCounter(
  values: ArrayLike<number>,
  resetFactor: number,
  riseFraction: number,
  typical = medianPositiveStep(values),
): boolean {
  const steps = values.length - 1;
  if (steps < 4) return false;
  let rising = 0;
  let falling = 0;
  let resets = 0;
  for (let i = 1; i <= steps; i++) {
    const prev = values[i - 1]!;
    const cur = values[i]!;
    if (isCounterReset(prev, cur, typical, resetFactor)) resets++;
    else if (cur > prev) rising++;
    else if (cur < prev) falling++;
  }
  return rising >= riseFraction * (rising + falling) && rising >= 0.5 * steps && resets <= Math.max(1, 0.02 * steps);
}
