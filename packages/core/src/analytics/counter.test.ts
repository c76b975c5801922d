import { describe, expect, it } from 'vitest';
import { isCounterReset, looksLikeCounter, median, medianPositiveStep, unwrapCounter } from './counter.js';
import { argsort } from './sort.js';
import { shuffled } from './test-support.js';

describe('median', () => {
  it('is the middle value, or the mean of the two middle values', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
    expect(median([])).toBeUndefined();
  });
  it('agrees with sorting on many random inputs, ties included', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const values = shuffled(Array.from({ length: 1 + (seed % 37) }, (_, i) => (i * 7919) % 11), seed);
      const sorted = [...values].sort((a, b) => a - b);
      const n = sorted.length;
      expect(median(values)).toBe(n % 2 ? sorted[n >> 1] : (sorted[n / 2 - 1]! + sorted[n / 2]!) / 2);
    }
  });
});

describe('argsort', () => {
  it('orders by value, equal values by index, negatives and fractions included', () => {
    const values = [3, -1.5, 0, 3, -0.25, 1e12, -1e12, 0.5, 3];
    const expected = values.map((_, i) => i).sort((a, b) => values[a]! - values[b]! || a - b);
    expect(Array.from(argsort(values))).toEqual(expected);
  });
  it('agrees with a comparator sort on random epoch-millisecond times', () => {
    const times = shuffled(Array.from({ length: 5000 }, (_, i) => 1.6e12 + Math.floor(i / 3) * 1000), 9);
    const expected = times.map((_, i) => i).sort((a, b) => times[a]! - times[b]! || a - b);
    expect(Array.from(argsort(times))).toEqual(expected);
  });
});

describe('counter resets', () => {
  it('tells a reset from reading noise', () => {
    expect(isCounterReset(5000, 12, 20, 3)).toBe(true); // back towards zero
    expect(isCounterReset(5000, 4900, 20, 3)).toBe(true); // far beyond noise
    expect(isCounterReset(231.97, 231.3, 20, 3)).toBe(false); // the sample file's small dip
    expect(isCounterReset(100, 120, 20, 3)).toBe(false);
  });
  it('unwraps resets and marks the spans that contain one', () => {
    const { value, resetsUpTo, resets } = unwrapCounter([10, 20, 30, 5, 15, 14.9, 25], 3);
    expect(resets).toBe(1);
    [0, 10, 20, 20, 30, 29.9, 40].forEach((v, i) => expect(value[i]).toBeCloseTo(v, 12));
    expect(Array.from(resetsUpTo)).toEqual([0, 0, 0, 1, 1, 1, 1]);
  });
  it('uses the median positive step as the noise scale', () => {
    expect(medianPositiveStep([0, 1, 3, 2, 6])).toBe(2);
    expect(medianPositiveStep([5, 4, 3])).toBe(0);
  });
});

describe('looksLikeCounter', () => {
  const rising = Array.from({ length: 100 }, (_, i) => i * 10 + (i % 7 === 0 ? -0.5 : 0));
  it('accepts steadily rising series, with occasional resets and noise', () => {
    expect(looksLikeCounter(rising, 3, 0.75)).toBe(true);
    expect(looksLikeCounter([...rising, 3, 13, 23, 33], 3, 0.75)).toBe(true);
  });
  it('rejects gauges: noisy, drifting, mostly constant, sawtooth, or too short', () => {
    const noisy = Array.from({ length: 100 }, (_, i) => Math.sin(i * 1.7) * 10);
    const drifting = Array.from({ length: 100 }, (_, i) => i + Math.sin(i * 1.7) * 30);
    const setpoint = Array.from({ length: 100 }, (_, i) => (i < 50 ? 10 : 20));
    const sawtooth = Array.from({ length: 100 }, (_, i) => i % 10);
    for (const series of [noisy, drifting, setpoint, sawtooth, [1, 2, 3, 4]]) expect(looksLikeCounter(series, 3, 0.75)).toBe(false);
  });
});
