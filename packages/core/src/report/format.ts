/** Number and id formatting shared by the Markdown and HTML reports. */
import type { MachineDataId, ResolvedCorrelationOptions } from '../analytics/types.js';

/** An id as text (numbers as JavaScript prints them, strings as they are). */
export const idText = (id: MachineDataId): string => String(id);

/** A correlation with three decimals and a real minus sign for negatives, e.g. `−0.412`. */
export function formatR(r: number): string {
  const text = r.toFixed(3);
  return text.startsWith('-') ? `−${text.slice(1)}` : text;
}

/** A p-value: three significant digits, scientific below 0.001, e.g. `0.0421`, `3.2e-7`, `0`. */
export function formatP(p: number): string {
  if (p === 0) return '0';
  return p < 0.001 ? p.toExponential(1) : p.toPrecision(3);
}

/** A confidence interval, e.g. `[0.120, 0.351]`. */
export function formatCi(ci: readonly [number, number]): string {
  return `[${formatR(ci[0])}, ${formatR(ci[1])}]`;
}

/** A plain number with up to `digits` significant digits and no exponent for everyday magnitudes. */
export function formatNumber(value: number, digits = 4): string {
  if (value === 0) return '0';
  const magnitude = Math.abs(value);
  const text = magnitude >= 1e6 || magnitude < 1e-4 ? value.toExponential(digits - 1) : Number(value.toPrecision(digits)).toString();
  return text.startsWith('-') ? `−${text.slice(1)}` : text;
}

/** One paragraph saying how the numbers were made. */
export function describeMethod(options: ResolvedCorrelationOptions): string {
  const level = `${Math.round(options.confidenceLevel * 100)}%`;
  return (
    "Each product's output is taken per interval between consecutive readings of its production counter, as a rate " +
    `(output per second); intervals longer than ${options.gapFactor} × the median interval (not running) or containing a counter reset are skipped. ` +
    "Gauges enter with their mean level over the interval, cumulative counters with their rate of increase. " +
    (options.detrend === 'linear' ? 'Both sides lose their linear time trend before correlating. ' : 'Series are correlated without detrending. ') +
    `Parameters are ranked by |Pearson r|; Spearman rho, a two-sided p-value (t test) and a ${level} confidence interval (Fisher z) are given beside it. ` +
    'Consecutive intervals are not independent, so read p-values as a ranking aid, not as proof.'
  );
}
