/** Checked option values: each throws a `UsageError` naming the option and what it got. */
import { UsageError } from '../errors.js';

/** A whole number written as plain decimal digits (no `1e3`, `0x10`, spaces), within bounds. */
export function integerOption(name: string, text: string | undefined, bounds: { min?: number; max?: number } = {}): number | undefined {
  if (text === undefined) return undefined;
  const min = bounds.min ?? Number.MIN_SAFE_INTEGER;
  const max = bounds.max ?? Number.MAX_SAFE_INTEGER;
  const value = /^-?\d{1,16}$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new UsageError(`--${name} must be a whole number${describeBounds(bounds)}, got "${text}"`, `--${name}`);
  }
  return value;
}

/** A decimal number (`2`, `0.5`, `1e3` allowed), within bounds; `exclusiveMin` for "more than". */
export function numberOption(name: string, text: string | undefined, bounds: { min?: number; max?: number; exclusiveMin?: number } = {}): number | undefined {
  if (text === undefined) return undefined;
  const value = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(text.trim()) ? Number(text) : Number.NaN;
  const ok =
    Number.isFinite(value) &&
    (bounds.min === undefined || value >= bounds.min) &&
    (bounds.max === undefined || value <= bounds.max) &&
    (bounds.exclusiveMin === undefined || value > bounds.exclusiveMin);
  if (!ok) {
    const range = bounds.exclusiveMin !== undefined ? ` greater than ${bounds.exclusiveMin}` : describeBounds(bounds);
    throw new UsageError(`--${name} must be a number${range}, got "${text}"`, `--${name}`);
  }
  return value;
}

/** One of `allowed`. */
export function choiceOption<T extends string>(name: string, text: string | undefined, allowed: readonly T[]): T | undefined {
  if (text === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(text)) throw new UsageError(`--${name} must be one of ${allowed.join(', ')}, got "${text}"`, `--${name}`);
  return text as T;
}

/** A value that must be there. */
export function required<T>(name: string, value: T | undefined, hint = ''): T {
  if (value === undefined) throw new UsageError(`--${name} is required${hint ? `: ${hint}` : ''}`, `--${name}`);
  return value;
}

function describeBounds({ min, max }: { min?: number; max?: number }): string {
  if (min !== undefined && max !== undefined) return ` from ${min} to ${max}`;
  if (min !== undefined) return min === 0 ? ' ≥ 0' : ` ≥ ${min}`;
  if (max !== undefined) return ` ≤ ${max}`;
  return '';
}
