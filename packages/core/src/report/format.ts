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

/** A lag in seconds as text, e.g. `0`, `45 s`, `30 min`, `30.1 min`, `3 h`, `1.5 h` (up to 3 significant digits). */
export function formatLag(seconds: number): string {
  if (Math.round(seconds) === 0) return '0';
  if (Math.abs(seconds) < 120) return `${formatNumber(Math.round(seconds), 3)} s`;
  if (Math.abs(seconds) < 7200) return `${formatNumber(seconds / 60, 3)} min`;
  return `${formatNumber(seconds / 3600, 3)} h`;
}

/** One paragraph saying how the numbers were made. */
export function describeMethod(options: ResolvedCorrelationOptions): string {
  const level = `${Math.round(options.confidenceLevel * 100)}%`;
  const search =
    options.maxLagSeconds > 0
      ? `Process delays are searched: each parameter is also read over the interval shifted back by a lag, from 0 to ${formatLag(options.maxLagSeconds)} ` +
        `in steps of the product's median interval (at most ${options.maxLagSteps} steps), and the lag with the smallest p-value is reported; ` +
        "that p-value is corrected for the number of lags tried (Šidák; conservative, since neighbouring lags are strongly correlated). "
      : 'No lag search: parameters are read over the same interval as the output. ';
  return (
    "Each product's output is taken per interval between consecutive readings of its production counter, as a rate " +
    `(output per second); intervals longer than ${options.gapFactor} × the median interval (not running) or containing a counter reset are skipped. ` +
    "Gauges enter with their mean level over the interval, cumulative counters with their rate of increase. " +
    (options.detrend === 'linear' ? 'Both sides lose their linear time trend before correlating. ' : 'Series are correlated without detrending. ') +
    search +
    'Because consecutive intervals are not independent, p-values and the ' +
    `${level} confidence intervals (Fisher z) use an effective number of intervals, shrunk for the autocorrelation of both series. ` +
    "Parameters are ranked by |Pearson r| at their lag (then by that p-value); Spearman rho is given beside it. " +
    `A parameter is marked significant when its p-value stays below ${options.significanceLevel} after Holm's correction over all of the product's parameters.`
  );
}
