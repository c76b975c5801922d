/**
 * Correlation statistics on paired samples: Pearson r, Spearman rho (average ranks for ties), the
 * two-sided p-value of r (t test) and its Fisher-z confidence interval, and linear detrending.
 * Functions return `undefined` where a statistic does not exist (too few points, no variance), so
 * NaN never leaks into results.
 */
import { ConfigError } from '../errors.js';
import { argsort } from './sort.js';
import { normalQuantile, studentTTwoSidedP } from './special-functions.js';

/** Means of `a` and `b` and their centred sums of squares and cross-products (two passes, for precision). */
function centredSums(a: ArrayLike<number>, b: ArrayLike<number>): { ma: number; mb: number; sab: number; saa: number; sbb: number } {
  const n = a.length;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i]!;
    mb += b[i]!;
  }
  ma /= n;
  mb /= n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    const da = a[i]! - ma;
    const db = b[i]! - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  return { ma, mb, sab, saa, sbb };
}

/** Pearson's product-moment correlation of `x` and `y` (equal lengths), or `undefined` when n < 2 or a side is constant. */
export function pearson(x: ArrayLike<number>, y: ArrayLike<number>): number | undefined {
  const n = x.length;
  if (n !== y.length) {
    throw new ConfigError(`pearson: x has ${n} values but y has ${y.length}; pass paired samples of equal length`, 'y');
  }
  if (n < 2) return undefined;
  const { sab, saa, sbb } = centredSums(x, y);
  if (!(saa > 0) || !(sbb > 0)) return undefined;
  const r = sab / Math.sqrt(saa * sbb);
  return Number.isFinite(r) ? Math.max(-1, Math.min(1, r)) : undefined;
}

/** 1-based ranks of `values`; tied values share the average of their ranks. */
export function averageRanks(values: ArrayLike<number>): Float64Array {
  const n = values.length;
  const order = argsort(values);
  const ranks = new Float64Array(n);
  let i = 0;
  while (i < n) {
    let j = i + 1;
    while (j < n && values[order[j]!] === values[order[i]!]) j++;
    const rank = (i + 1 + j) / 2; // average of ranks i+1 … j
    for (let k = i; k < j; k++) ranks[order[k]!] = rank;
    i = j;
  }
  return ranks;
}

/** Spearman's rank correlation (Pearson r of average ranks), or `undefined` when it does not exist. */
export function spearman(x: ArrayLike<number>, y: ArrayLike<number>): number | undefined {
  return pearson(averageRanks(x), averageRanks(y));
}

/**
 * Two-sided p-value of a Pearson r from `n` pairs under H0: ρ = 0, by the t test with
 * `n − 2 − covariates` degrees of freedom (`covariates` = variables partialled out beforehand, e.g.
 * 1 after removing a linear time trend). `undefined` when there are no degrees of freedom left.
 */
export function correlationPValue(r: number, n: number, covariates = 0): number | undefined {
  const df = n - 2 - covariates;
  if (!(df > 0) || !Number.isFinite(r)) return undefined;
  if (Math.abs(r) >= 1) return 0;
  const t = r * Math.sqrt(df / (1 - r * r));
  const p = studentTTwoSidedP(t, df);
  return Number.isFinite(p) ? Math.min(1, Math.max(0, p)) : undefined;
}

/**
 * Confidence interval of a Pearson r by Fisher's z transform: tanh(atanh r ± z_{(1+level)/2} / √(n − 3 − covariates)).
 * `undefined` when n − 3 − covariates ≤ 0. A perfect correlation gives the degenerate interval [r, r].
 */
export function fisherInterval(r: number, n: number, level = 0.95, covariates = 0): [number, number] | undefined {
  const dof = n - 3 - covariates;
  if (!(dof > 0) || !Number.isFinite(r) || !(level > 0 && level < 1)) return undefined;
  if (Math.abs(r) >= 1) return [r, r];
  const z = Math.atanh(r);
  const half = normalQuantile((1 + level) / 2) / Math.sqrt(dof);
  return [Math.tanh(z - half), Math.tanh(z + half)];
}

/**
 * Residuals of `values` after removing their least-squares line against `time` (same length).
 * Time is centred first, so epoch-millisecond magnitudes do not cost precision.
 */
export function linearDetrend(time: ArrayLike<number>, values: ArrayLike<number>): Float64Array {
  const n = values.length;
  const out = new Float64Array(n);
  if (n === 0) return out;
  const { ma: mt, mb: mv, sab: stv, saa: stt } = centredSums(time, values);
  const slope = stt > 0 ? stv / stt : 0;
  for (let i = 0; i < n; i++) out[i] = values[i]! - mv - slope * (time[i]! - mt);
  return out;
}

/** Sum of squared deviations from the mean (0 for fewer than two values). */
export function sumOfSquares(values: ArrayLike<number>): number {
  return values.length < 2 ? 0 : centredSums(values, values).saa;
}
