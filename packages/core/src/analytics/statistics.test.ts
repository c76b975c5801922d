import { describe, expect, it } from 'vitest';
import { logGamma, normalQuantile, regularizedIncompleteBeta, studentTTwoSidedP } from './special-functions.js';
import { averageRanks, correlationPValue, fisherInterval, linearDetrend, pearson, spearman } from './statistics.js';

// Reference values: hand computation where noted, otherwise SciPy 1.17 (stats.pearsonr, stats.spearmanr,
// stats.t.sf, special.betainc, stats.norm.ppf).
const anscombeX = [10, 8, 13, 9, 11, 14, 6, 4, 12, 7, 5];
const anscombeY = [8.04, 6.95, 7.58, 8.81, 8.33, 9.96, 7.24, 4.26, 10.84, 4.82, 5.68];

describe('pearson', () => {
  it('matches a hand-computed value: Sxy = 6, Sxx = 10, Syy = 6 gives r = 6/√60', () => {
    expect(pearson([1, 2, 3, 4, 5], [2, 4, 5, 4, 5])).toBeCloseTo(6 / Math.sqrt(60), 14);
  });
  it("matches Anscombe's quartet I (r = 0.816)", () => {
    expect(pearson(anscombeX, anscombeY)).toBeCloseTo(0.8164205163448395, 12);
  });
  it('is ±1 for exact lines and undefined without variance or points', () => {
    expect(pearson([1, 2, 3], [3, 5, 7])).toBeCloseTo(1, 15);
    expect(pearson([1, 2, 3], [7, 5, 3])).toBeCloseTo(-1, 15);
    expect(pearson([1, 1, 1], [1, 2, 3])).toBeUndefined();
    expect(pearson([1], [2])).toBeUndefined();
  });
  it('is not fooled by a large common offset', () => {
    const x = [1, 2, 3, 4, 5].map((v) => v + 1.6e12);
    expect(pearson(x, [2, 4, 5, 4, 5])).toBeCloseTo(6 / Math.sqrt(60), 9);
  });
  it('refuses unpaired input', () => {
    expect(() => pearson([1, 2], [1])).toThrow(/equal length/);
  });
});

describe('spearman', () => {
  it('averages tied ranks', () => {
    expect(Array.from(averageRanks([5, 6, 7, 8, 7]))).toEqual([1, 2, 3.5, 5, 3.5]);
  });
  it('matches a hand-computed value with ties: 8/√95', () => {
    expect(spearman([1, 2, 3, 4, 5], [5, 6, 7, 8, 7])).toBeCloseTo(8 / Math.sqrt(95), 14);
  });
  it('matches the textbook IQ / TV-hours example: rho = −29/165', () => {
    const iq = [106, 100, 86, 101, 99, 103, 97, 113, 112, 110];
    const tv = [7, 27, 2, 50, 28, 29, 20, 12, 6, 17];
    expect(spearman(iq, tv)).toBeCloseTo(-29 / 165, 14);
  });
  it('is 1 for any monotone relation', () => {
    expect(spearman([1, 2, 3, 4], [1, 8, 27, 64])).toBeCloseTo(1, 15);
  });
});

describe('p-value and confidence interval', () => {
  it('matches SciPy for the hand example (n = 5, r = 0.7746): p = 0.12403', () => {
    expect(correlationPValue(6 / Math.sqrt(60), 5)).toBeCloseTo(0.1240270626575546, 10);
  });
  it("matches SciPy for Anscombe's quartet I: p = 0.00217, CI [0.4244, 0.9507]", () => {
    const r = pearson(anscombeX, anscombeY)!;
    expect(correlationPValue(r, 11)).toBeCloseTo(0.0021696288730788152, 10);
    const [lo, hi] = fisherInterval(r, 11)!;
    expect(lo).toBeCloseTo(0.4243912133932152, 8);
    expect(hi).toBeCloseTo(0.9506932537865604, 8);
  });
  it('gives the Fisher interval of r = 0.5, n = 28: tanh(atanh 0.5 ± 1.96/5)', () => {
    const [lo, hi] = fisherInterval(0.5, 28)!;
    expect(lo).toBeCloseTo(0.15602836252908597, 8);
    expect(hi).toBeCloseTo(0.7358184794439375, 8);
  });
  it('uses fewer degrees of freedom when covariates were partialled out', () => {
    expect(correlationPValue(0.5, 10, 1)).toBeGreaterThan(correlationPValue(0.5, 10)!);
    expect(correlationPValue(0.5, 3, 1)).toBeUndefined();
    expect(fisherInterval(0.5, 4, 0.95, 1)).toBeUndefined();
  });
  it('handles perfect correlations without NaN or infinities', () => {
    expect(correlationPValue(1, 10)).toBe(0);
    expect(fisherInterval(-1, 10)).toEqual([-1, -1]);
  });
});

describe('special functions', () => {
  it('log-gamma of integers is the log of factorials', () => {
    expect(logGamma(1)).toBeCloseTo(0, 12);
    expect(logGamma(5)).toBeCloseTo(Math.log(24), 12);
    expect(logGamma(0.5)).toBeCloseTo(Math.log(Math.sqrt(Math.PI)), 12);
    expect(logGamma(101)).toBeCloseTo(363.73937555556347, 9);
  });
  it('regularised incomplete beta matches closed forms and SciPy', () => {
    expect(regularizedIncompleteBeta(0.3, 1, 1)).toBeCloseTo(0.3, 14);
    expect(regularizedIncompleteBeta(0.3, 3, 1)).toBeCloseTo(0.027, 14);
    expect(regularizedIncompleteBeta(0.5, 7, 7)).toBeCloseTo(0.5, 14);
    expect(regularizedIncompleteBeta(0.4, 2, 3)).toBeCloseTo(0.5248, 12);
    expect(regularizedIncompleteBeta(0.3, 0.5, 0.5)).toBeCloseTo(0.36901011956554536, 10);
    expect(regularizedIncompleteBeta(0.2, 10, 20)).toBeCloseTo(0.049263517304212585, 10);
    expect(regularizedIncompleteBeta(0.45, 100, 150)).toBeCloseTo(0.9455167660069934, 9);
    expect(regularizedIncompleteBeta(0, 2, 3)).toBe(0);
    expect(regularizedIncompleteBeta(1, 2, 3)).toBe(1);
  });
  it('Student t two-sided tails match table values', () => {
    expect(studentTTwoSidedP(3.182446305284263, 3)).toBeCloseTo(0.05, 10);
    expect(studentTTwoSidedP(12.706204736174707, 1)).toBeCloseTo(0.05, 10);
    expect(studentTTwoSidedP(1, 1)).toBeCloseTo(0.5, 12); // Cauchy: 1 − (2/π)·atan(1)
    expect(studentTTwoSidedP(0.5, 1)).toBeCloseTo(0.7048327646991335, 10);
    expect(studentTTwoSidedP(4, 30)).toBeCloseTo(0.0003818456360837564, 10);
    expect(studentTTwoSidedP(0, 7)).toBeCloseTo(1, 14);
  });
  it('normal quantiles match the table', () => {
    expect(normalQuantile(0.975)).toBeCloseTo(1.959963984540054, 8);
    expect(normalQuantile(0.995)).toBeCloseTo(2.5758293035489004, 8);
    expect(normalQuantile(1e-6)).toBeCloseTo(-4.753424308822899, 7);
    expect(normalQuantile(0.5)).toBe(0);
  });
});

describe('linearDetrend', () => {
  it('removes a line exactly and leaves what is orthogonal to it', () => {
    const t = [0, 1, 2, 3, 4].map((v) => v * 1000 + 1.6e12);
    const residual = linearDetrend(t, [5, 7, 9, 11, 13]);
    for (const v of residual) expect(Math.abs(v)).toBeLessThan(1e-9);
    const wave = [1, -1, 0, -1, 1]; // symmetric: no linear component
    expect(Array.from(linearDetrend(t, wave.map((v, i) => v + 3 * i))).map((v) => Number(v.toFixed(9)))).toEqual(wave);
  });
});
