/**
 * How Parquet's physical and logical types become JavaScript values. hyparquet decodes the pages;
 * this module chooses what timestamps, 64-bit integers, decimals and byte arrays turn into, and
 * marks values that cannot be mapped (invalid UTF-8, invalid JSON, a 64-bit integer that does not
 * fit a number) so that the source rejects their row instead of failing the file or changing data.
 */
import type { FileMetaData, ParquetParsers, SchemaElement, SchemaTree } from 'hyparquet';

/**
 * What timestamps (INT64 MILLIS/MICROS/NANOS, INT96) become: `date` — a `Date` (millisecond
 * precision: micro- and nanoseconds are floored to the millisecond), `epoch-ms` — a number of
 * milliseconds since the epoch (floored), `epoch-ns` — a `bigint` of nanoseconds since the epoch
 * (exact for every unit).
 */
export type TimestampMapping = 'date' | 'epoch-ms' | 'epoch-ns';

/**
 * What 64-bit integers (INT64 without a timestamp or decimal annotation, INT_64, UINT_64, TIME
 * in micro- or nanoseconds) become: `number` — a number, and a value beyond ±2^53 − 1 rejects its
 * row rather than losing digits; `bigint` — always a `bigint` (exact, but not JSON-serialisable).
 */
export type Int64Mapping = 'number' | 'bigint';

/**
 * What DECIMAL columns become: `number` — the nearest double (exact up to 15 significant digits);
 * `string` — the exact decimal text, e.g. `"-12.50"` (as many fraction digits as the scale).
 */
export type DecimalMapping = 'number' | 'string';

/** Type mapping options of the Parquet source. */
export interface TypeMappingOptions {
  /** Timestamps (default `date`). */
  timestamps?: TimestampMapping;
  /** 64-bit integers (default `number`). */
  int64?: Int64Mapping;
  /** Decimals (default `number`). */
  decimals?: DecimalMapping;
  /**
   * Whether BYTE_ARRAY columns without a string annotation (and ENUM columns) are decoded as UTF-8
   * text (default true). With `false` they stay `Uint8Array`.
   */
  utf8?: boolean;
}

/** A value that cannot be mapped; the row holding it becomes a reject that quotes `reason`. */
export class BadValue {
  constructor(readonly reason: string) {}
}

/** Maps one decoded value of a column; may return a {@link BadValue}. Never sees `undefined`. */
export type Converter = (value: unknown) => unknown;

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** `bytes` as text, or a {@link BadValue} when they are not valid UTF-8 (never a silent U+FFFD). */
export function textOf(bytes: Uint8Array, unannotated = false): string | BadValue {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    const hint = unannotated ? "; it is a byte array without a string annotation: read with utf8: false to get its bytes" : '';
    return new BadValue(`is not valid UTF-8 (${bytes.length} bytes)${hint}`);
  }
}

/** Floor division of `a` by the positive `b` (timestamps before 1970 round down, not toward zero). */
function floorDiv(a: bigint, b: bigint): bigint {
  const quotient = a / b;
  return a < 0n && a % b !== 0n ? quotient - 1n : quotient;
}

const asBigInt = (value: bigint | number): bigint => (typeof value === 'bigint' ? value : BigInt(value));

/** One 64-bit integer seen as its two 32-bit halves (low half first on little-endian machines). */
const INT64 = new BigInt64Array(1);
const HALVES = new Int32Array(INT64.buffer);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/**
 * `floor(value / divisor)` of a signed 64-bit integer as a number, without BigInt division (the
 * per-value cost of decoding micro- and nanosecond timestamps). With value = hi · 2^32 + lo and
 * 2^32 = q · divisor + r: floor(value / divisor) = hi · q + floor((hi · r + lo) / divisor), each
 * term exact in a double for every result a `Date` can hold (|ms| ≤ 8.64e15). Values beyond 64
 * bits take the BigInt path.
 */
function floorDivider(divisor: number): (value: bigint) => number {
  const q = Math.floor(2 ** 32 / divisor);
  const r = 2 ** 32 - q * divisor;
  const big = BigInt(divisor);
  return (value) => {
    // Beyond 64 bits (INT96 timestamps far from 1970 can be): BigInt division, exact.
    if (!LITTLE_ENDIAN || value < INT64_MIN || value > INT64_MAX) return Number(floorDiv(value, big));
    INT64[0] = value;
    const lo = HALVES[0]! >>> 0;
    const hi = HALVES[1]!;
    return hi * q + Math.floor((hi * r + lo) / divisor);
  };
}

/** Milliseconds (floored) of nanoseconds, and of microseconds. */
export const msOfNanos = floorDivider(1_000_000);
export const msOfMicros = floorDivider(1000);

/** The hyparquet parsers for timestamps, strings and JSON under `timestamps`. */
export function parsersFor(timestamps: TimestampMapping): Partial<ParquetParsers> {
  const fromNanos =
    timestamps === 'epoch-ns'
      ? (nanos: bigint) => nanos
      : timestamps === 'epoch-ms'
        ? (nanos: bigint) => msOfNanos(nanos)
        : (nanos: bigint) => new Date(msOfNanos(nanos));
  const fromMicros =
    timestamps === 'epoch-ns'
      ? (micros: bigint) => micros * 1000n
      : timestamps === 'epoch-ms'
        ? (micros: bigint) => msOfMicros(micros)
        : (micros: bigint) => new Date(msOfMicros(micros));
  const fromMillis =
    timestamps === 'epoch-ns' ? (ms: bigint) => ms * 1_000_000n : timestamps === 'epoch-ms' ? (ms: bigint) => Number(ms) : (ms: bigint) => new Date(Number(ms));
  return {
    timestampFromMilliseconds: (millis: bigint) => fromMillis(asBigInt(millis)),
    timestampFromMicroseconds: (micros: bigint) => fromMicros(asBigInt(micros)),
    timestampFromNanoseconds: (nanos: bigint) => fromNanos(asBigInt(nanos)),
    stringFromBytes: (bytes: Uint8Array) => bytes && textOf(bytes),
    jsonFromBytes: (bytes: Uint8Array) => {
      if (!bytes) return bytes;
      const text = textOf(bytes);
      if (text instanceof BadValue) return text;
      try {
        return JSON.parse(text);
      } catch (error) {
        return new BadValue(`is not valid JSON (${(error as Error).message})`);
      }
    },
  };
}

/** Whether a schema element is a timestamp hyparquet maps through the timestamp parsers. */
function isTimestamp(element: SchemaElement): boolean {
  const converted = element.converted_type;
  return (
    element.type === 'INT96' || converted === 'TIMESTAMP_MILLIS' || converted === 'TIMESTAMP_MICROS' || element.logical_type?.type === 'TIMESTAMP'
  );
}

function isDecimal(element: SchemaElement): boolean {
  return element.converted_type === 'DECIMAL' || element.logical_type?.type === 'DECIMAL';
}

/** Whether hyparquet decodes a BYTE_ARRAY element as text or JSON even with `utf8: false`. */
function isAnnotatedText(element: SchemaElement): boolean {
  const converted = element.converted_type;
  const logical = element.logical_type?.type;
  return converted === 'UTF8' || converted === 'JSON' || logical === 'STRING' || logical === 'JSON';
}

/** Passes values through, marking the {@link BadValue}s hyparquet's parsers produced. */
const passBad: Converter = (value) => value;

/** A 64-bit integer as a number, or a {@link BadValue} when it does not fit one exactly. */
const int64ToNumber: Converter = (value) => {
  if (typeof value !== 'bigint') return value;
  const number = Number(value);
  return Number.isSafeInteger(number) ? number : new BadValue(`${value} does not fit a JavaScript number exactly; read with int64: 'bigint'`);
};

/** The unscaled integer of a raw decimal value (INT32, INT64 or big-endian two's complement bytes). */
function unscaled(value: unknown): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number') return BigInt(value);
  const bytes = value as Uint8Array;
  let result = 0n;
  for (const byte of bytes) result = (result << 8n) | BigInt(byte);
  if (bytes.length > 0 && bytes[0]! >= 0x80) result -= 1n << BigInt(bytes.length * 8);
  return result;
}

/** The exact decimal text of `unscaledValue × 10^-scale`. */
export function decimalText(unscaledValue: bigint, scale: number): string {
  const negative = unscaledValue < 0n;
  const digits = (negative ? -unscaledValue : unscaledValue).toString();
  if (scale <= 0) return `${negative ? '-' : ''}${digits}${'0'.repeat(-scale)}`;
  const padded = digits.padStart(scale + 1, '0');
  return `${negative ? '-' : ''}${padded.slice(0, -scale)}.${padded.slice(-scale)}`;
}

/**
 * The converter of a top-level column, or `undefined` when hyparquet's value is already final.
 * Nested columns (structs, lists, maps) are passed through as hyparquet assembles them.
 */
export function converterFor(column: SchemaTree, options: Required<TypeMappingOptions>): Converter | undefined {
  if (column.children.length > 0) return undefined;
  const { element } = column;
  if (isTimestamp(element)) return undefined;
  if (isDecimal(element)) {
    if (options.decimals === 'number') return undefined;
    const scale = element.scale ?? 0;
    return (value) => decimalText(unscaled(value), scale);
  }
  if (element.type === 'INT64') return options.int64 === 'number' ? int64ToNumber : undefined;
  if (element.type === 'BYTE_ARRAY') {
    if (isAnnotatedText(element)) return passBad;
    const logical = element.logical_type?.type;
    if (logical === 'GEOMETRY' || logical === 'GEOGRAPHY') return undefined;
    // Read with utf8: false, so unannotated byte arrays (and ENUM) arrive as bytes: decode strictly here.
    return options.utf8 ? (value) => (value instanceof Uint8Array ? textOf(value, true) : value) : undefined;
  }
  return undefined;
}

/**
 * The metadata to hand hyparquet: with `decimals: 'string'`, DECIMAL annotations are removed so that
 * hyparquet yields the unscaled integers (or bytes) and no precision is lost on the way.
 */
export function metadataForReading(metadata: FileMetaData, decimals: DecimalMapping): FileMetaData {
  if (decimals === 'number' || !metadata.schema.some(isDecimal)) return metadata;
  const schema = metadata.schema.map((element) => {
    if (!isDecimal(element)) return element;
    const { converted_type: _converted, logical_type: _logical, ...rest } = element;
    return rest;
  });
  return { ...metadata, schema };
}

/** A short text of a value for a reject's raw field (bigints and bytes included). */
export function describeValue(value: unknown): string {
  if (typeof value === 'bigint') return `${value}n`;
  if (value instanceof Uint8Array) return `<${value.length} bytes>`;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
  if (value instanceof BadValue) return '<bad value>';
  try {
    return JSON.stringify(value, (_key, inner: unknown) => (typeof inner === 'bigint' ? `${inner}n` : inner)) ?? String(value);
  } catch {
    return String(value);
  }
}
