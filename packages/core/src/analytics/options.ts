/** Defaults and checks of the `rankCorrelations` options. */
import { ConfigError } from '../errors.js';
import type { CorrelationOptions, ResolvedCorrelationOptions } from './types.js';

/** The defaults, as documented on `CorrelationOptions`. */
export const defaultCorrelationOptions: ResolvedCorrelationOptions = Object.freeze({
  gapFactor: 3,
  resetFactor: 3,
  reachFactor: 2,
  minIntervals: 5,
  detrend: 'linear',
  counterRiseFraction: 0.75,
  counters: [],
  gauges: [],
  seriesTop: 3,
  confidenceLevel: 0.95,
  maxLagSeconds: 21_600,
  maxLagSteps: 48,
  significanceLevel: 0.05,
});

function check(ok: boolean, option: string, value: unknown, expected: string): void {
  if (!ok) {
    throw new ConfigError(`rankCorrelations: option ${option} is ${JSON.stringify(value)}; it must be ${expected}`, option);
  }
}

/** Fills in defaults and rejects impossible values with a `ConfigError` naming the option. */
export function resolveCorrelationOptions(options: CorrelationOptions = {}): ResolvedCorrelationOptions {
  const o = { ...defaultCorrelationOptions, ...stripUndefined(options) };
  check(Number.isFinite(o.gapFactor) && o.gapFactor > 1, 'gapFactor', o.gapFactor, 'a number above 1');
  check(Number.isFinite(o.resetFactor) && o.resetFactor > 0, 'resetFactor', o.resetFactor, 'a positive number');
  check(Number.isFinite(o.reachFactor) && o.reachFactor > 0, 'reachFactor', o.reachFactor, 'a positive number');
  check(Number.isInteger(o.minIntervals) && o.minIntervals >= 5, 'minIntervals', o.minIntervals, 'an integer of at least 5');
  check(o.detrend === 'linear' || o.detrend === 'none', 'detrend', o.detrend, '"linear" or "none"');
  check(o.counterRiseFraction > 0.5 && o.counterRiseFraction <= 1, 'counterRiseFraction', o.counterRiseFraction, 'above 0.5 and at most 1');
  check(Number.isInteger(o.seriesTop) && o.seriesTop >= 0, 'seriesTop', o.seriesTop, 'a non-negative integer');
  check(o.confidenceLevel > 0 && o.confidenceLevel < 1, 'confidenceLevel', o.confidenceLevel, 'between 0 and 1, e.g. 0.95');
  check(Number.isFinite(o.maxLagSeconds) && o.maxLagSeconds >= 0, 'maxLagSeconds', o.maxLagSeconds, 'a non-negative number of seconds (0 turns the lag search off)');
  check(Number.isInteger(o.maxLagSteps) && o.maxLagSteps >= 1 && o.maxLagSteps <= 1000, 'maxLagSteps', o.maxLagSteps, 'an integer from 1 to 1000');
  check(o.significanceLevel > 0 && o.significanceLevel < 1, 'significanceLevel', o.significanceLevel, 'between 0 and 1, e.g. 0.05');
  check(Array.isArray(o.counters), 'counters', o.counters, 'an array of parameter ids');
  check(Array.isArray(o.gauges), 'gauges', o.gauges, 'an array of parameter ids');
  const both = o.counters.filter((id) => o.gauges.includes(id));
  check(both.length === 0, 'gauges', both, 'free of ids that are also listed in counters');
  return { ...o, counters: [...o.counters], gauges: [...o.gauges] };
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
