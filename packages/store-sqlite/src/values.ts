/**
 * Row values → SQLite parameters, per column type. Pure. The `sqlite3` driver binds a BigInt or a
 * NaN as NULL without a word, so every value is checked and converted here before it is bound.
 * Integers (of integer, bigint, boolean and timestamp columns) are bound as their decimal text,
 * which the columns' INTEGER affinity stores as integers (see `integerParam`):
 *
 * - `text`: strings (numbers, bigints and booleans are written as their text, Dates as ISO 8601)
 * - `integer` / `bigint`: integer numbers, bigints and integer strings within 64 bits (bigints are
 *   bound as text, which SQLite's INTEGER affinity stores exactly; reads give numbers, exact up to 2^53)
 * - `real`: numbers (not NaN), bigints and plain decimal text (`-1.5`, `2e3`)
 * - `boolean`: true/false (or 0/1), stored as 1/0
 * - `timestamp`: Date, epoch milliseconds or a date string, stored as INTEGER epoch milliseconds
 * - `json`: any JSON-serialisable value, stored as JSON text (a string value becomes a JSON string)
 */
import { isPlainDecimal, type ColumnType } from '@sluice/core';

/** Thrown by a converter with what it expected; the caller adds table, row and column. */
export class ValueProblem extends Error {
  constructor(readonly expected: string) {
    super(expected);
  }
}

/** Turns one non-null value into what is bound to SQLite, or throws `ValueProblem`. */
export type Converter = (value: unknown) => unknown;

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/**
 * What an integer number is bound as: a safe integer as its decimal text, which the INTEGER
 * affinity of every integer-like column stores as exactly that integer; any other number as is.
 * The driver binds text about a third cheaper than a number (it tests every non-string for being
 * a RegExp first, through a global lookup), and one write binds thousands of values.
 */
function integerParam(value: number): unknown {
  return Number.isSafeInteger(value) ? String(value) : value;
}

function integerValue(value: unknown): unknown {
  if (typeof value === 'number' && Number.isInteger(value)) return integerParam(value);
  const big = typeof value === 'bigint' ? value : typeof value === 'string' && /^-?\d{1,19}$/.test(value) ? BigInt(value) : undefined;
  if (big !== undefined && big >= INT64_MIN && big <= INT64_MAX) return big.toString();
  throw new ValueProblem('an integer within 64 bits (number, bigint or integer string)');
}

function timestampValue(value: unknown): unknown {
  const ms =
    value instanceof Date
      ? value.getTime()
      : typeof value === 'number'
        ? value
        : typeof value === 'string'
          ? Date.parse(value)
          : Number.NaN;
  if (Number.isFinite(ms)) return integerParam(Math.trunc(ms));
  throw new ValueProblem('a valid Date, epoch milliseconds or a date string');
}

function jsonValue(value: unknown): unknown {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch {
    text = undefined;
  }
  if (text === undefined) throw new ValueProblem('a JSON-serialisable value (no cycles, functions or BigInt)');
  return text;
}

/** The converter of each column type. */
export const CONVERTERS: Readonly<Record<ColumnType, Converter>> = {
  text(value) {
    if (typeof value === 'string') return value;
    if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
    if (value instanceof Date && Number.isFinite(value.getTime())) return value.toISOString();
    throw new ValueProblem('a string');
  },
  integer: integerValue,
  bigint: integerValue,
  real(value) {
    if (typeof value === 'number' && !Number.isNaN(value)) return value;
    if (typeof value === 'bigint') return Number(value);
    // Decimal text (a CSV `decimal` column, say) is parsed here, correctly rounded, and bound as a
    // number. Bound as text, SQLite would parse it itself, but its conversion (3.44) is one unit
    // in the last place off for about 1 value in 6 000, so the stored double would differ.
    if (typeof value === 'string' && isPlainDecimal(value)) return Number(value);
    throw new ValueProblem('a number (not NaN) or decimal text');
  },
  boolean(value) {
    if (typeof value === 'boolean') return value ? '1' : '0';
    if (value === 0 || value === 1) return integerParam(value);
    throw new ValueProblem('a boolean (or 0/1)');
  },
  timestamp: timestampValue,
  json: jsonValue,
};

/** A parameter of `query()`: converted like stored values so comparisons match what was written. */
export function queryParam(value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (value instanceof Date) return value.getTime();
  if (value === undefined) return null;
  return value;
}

/** A short, safe rendering of a bad value for an error message. */
export function describeValue(value: unknown): string {
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  if (value instanceof Date) return `Date(${value.getTime()})`;
  let text: string;
  try {
    text = JSON.stringify(value) ?? typeof value;
  } catch {
    text = typeof value;
  }
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
