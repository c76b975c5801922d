/** Strict parsing of query parameters and header values (pure): no `Number()` guesswork. */
import { HttpError } from '../errors.js';

/**
 * A whole number written as plain decimal digits (an optional `-`, at most 16 digits: no `1e3`,
 * `0x10`, ` 5`, `+1`, `1.0`), within bounds; `undefined` when absent (or empty, with `emptyIsAbsent`).
 * Anything else is an `HttpError` 400 naming the parameter and what it got.
 */
export function integerParam(
  name: string,
  value: string | readonly string[] | undefined,
  bounds: { min?: number; max?: number; emptyIsAbsent?: boolean } = {},
): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') {
    if (value.length > 1) throw new HttpError(400, `${name} is given ${value.length} times: give it once`);
    return integerParam(name, value[0], bounds);
  }
  if (value === '' && bounds.emptyIsAbsent) return undefined;
  const min = bounds.min ?? Number.MIN_SAFE_INTEGER;
  const max = bounds.max ?? Number.MAX_SAFE_INTEGER;
  const parsed = /^-?\d{1,16}$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(parsed) || parsed < min || parsed > max) {
    const range = bounds.min !== undefined && bounds.max !== undefined ? ` from ${min} to ${max}` : bounds.min !== undefined ? ` ≥ ${min}` : bounds.max !== undefined ? ` ≤ ${max}` : '';
    throw new HttpError(400, `${name} must be a whole number in decimal digits${range}, got ${JSON.stringify(value.slice(0, 40))}`);
  }
  return parsed;
}
