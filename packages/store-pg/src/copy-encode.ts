/**
 * Rows → PostgreSQL COPY text format, pure and fast. A batch is checked and encoded entirely
 * before any I/O, into a few large string chunks, so a bad value fails the write before it
 * touches the server and a good batch goes out in a handful of socket writes.
 *
 * Text format: one line per row, fields separated by a tab, `\N` for NULL; backslash, tab,
 * newline and carriage return inside a value are written `\\`, `\t`, `\n`, `\r`.
 */
import { isPlainDecimal, keepLastOfEachKey, type ColumnType, type Row, type TableSpec } from '@sluice/core';

/** A value that does not fit its column; the batch encoder adds the row and column to it. */
export class CopyValueError extends Error {}

/** Encodes one non-null value of a column as an escaped COPY field, or throws `CopyValueError`. */
export type FieldEncoder = (value: unknown) => string;

const NEEDS_ESCAPE = /[\\\n\r\t\0]/;
const ESCAPED = /[\\\n\r\t]/g;
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };
const escapeChar = (c: string): string => ESCAPES[c]!;

/** Escapes a string for a COPY text field. PostgreSQL text cannot hold U+0000: that throws. */
export function escapeCopyText(text: string): string {
  if (!NEEDS_ESCAPE.test(text)) return text;
  if (text.includes('\0')) {
    throw new CopyValueError('contains a NUL character (U+0000), which PostgreSQL text cannot store');
  }
  return text.replace(ESCAPED, escapeChar);
}

/** Describes a bad value in a message, cut to a readable length. */
function show(value: unknown): string {
  let text: string;
  try {
    text = typeof value === 'bigint' ? `${value}n` : (JSON.stringify(value) ?? String(value));
  } catch {
    text = String(value);
  }
  return `${text.length > 60 ? `${text.slice(0, 57)}...` : text} (${value instanceof Date ? 'Date' : typeof value})`;
}

function reject(value: unknown, expected: string): never {
  throw new CopyValueError(`has ${show(value)}, expected ${expected}`);
}

const INTEGER_TEXT = /^[+-]?\d+$/;
const UNSIGNED_DIGITS = /^\d+$/;

/** An integer encoder with inclusive bounds, accepting integral numbers, bigints and digit strings. */
function integerEncoder(min: bigint, max: bigint, label: string): FieldEncoder {
  const lo = Number(min);
  const hi = Number(max);
  // Number(2^63 - 1) rounds up to 2^63, which is out of range: then the upper bound is strict.
  const hiIncluded = BigInt(hi) <= max;
  const expected = `${label} (an integer from ${min} to ${max})`;
  // A digit string with fewer digits than `max` is at least 0 and below it: in range without parsing
  // when `min` ≤ 0 (64-bit ids as decimal text, like H3 cells, skip two BigInt conversions each).
  const safeDigits = min <= 0n ? String(max).length - 1 : 0;
  return (value) => {
    if (typeof value === 'number') {
      if (Number.isInteger(value) && value >= lo && (value < hi || (value === hi && hiIncluded))) {
        return String(value);
      }
      return reject(value, expected);
    }
    if (typeof value === 'string' && value.length <= safeDigits && UNSIGNED_DIGITS.test(value)) return value;
    const big = typeof value === 'bigint' ? value : typeof value === 'string' && INTEGER_TEXT.test(value) ? BigInt(value) : undefined;
    if (big === undefined || big < min || big > max) return reject(value, expected);
    return big.toString();
  };
}

const encodeText: FieldEncoder = (value) => {
  if (typeof value === 'string') return escapeCopyText(value);
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  if (value instanceof Date) return encodeTimestamp(value);
  return reject(value, 'text (a string)');
};

const encodeReal: FieldEncoder = (value) => {
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  // Decimal text (a CSV `decimal` column, say) goes as written: PostgreSQL parses it exactly.
  if (typeof value === 'string' && isPlainDecimal(value)) return value;
  if (typeof value === 'string' && value.trim() !== '') {
    const parsed = Number(value);
    if (!Number.isNaN(parsed)) return String(parsed);
  }
  return reject(value, 'real (a number)');
};

const encodeBoolean: FieldEncoder = (value) => {
  if (value === true || value === 1) return 't';
  if (value === false || value === 0) return 'f';
  return reject(value, 'boolean (true or false)');
};

const DAY_MS = 86_400_000;
/** Dates within ±8.64e15 ms of the epoch are valid (ECMAScript TimeClip). */
const MAX_TIME_MS = 8.64e15;
const pad = (n: number, width: number) => String(n).padStart(width, '0');
const PAD2 = Array.from({ length: 60 }, (_, i) => pad(i, 2));
const PAD3 = Array.from({ length: 1000 }, (_, i) => pad(i, 3));
/**
 * The `YYYY-MM-DDT` prefixes of the days formatted lately: a batch's timestamps mostly fall on a
 * few days (a sensor file's rows alternate between its minute and expiry dates 87 to 89 days on).
 * The cache starts over when it holds {@link MAX_CACHED_DAYS}.
 */
const dayPrefixes = new Map<number, string>();
const MAX_CACHED_DAYS = 256;

let lastDay = Number.NaN;
let lastPrefix = '';

function dayPrefix(day: number): string {
  if (day === lastDay) return lastPrefix;
  let prefix = dayPrefixes.get(day);
  if (prefix === undefined) {
    if (dayPrefixes.size >= MAX_CACHED_DAYS) dayPrefixes.clear();
    const iso = new Date(day * DAY_MS).toISOString();
    prefix = iso.slice(0, iso.indexOf('T') + 1);
    dayPrefixes.set(day, prefix);
  }
  lastDay = day;
  lastPrefix = prefix;
  return prefix;
}

/**
 * Epoch milliseconds as ISO 8601 UTC, as `Date#toISOString` would write it, several times faster:
 * the date part is cached per day and the time of day is built from lookup tables. `undefined`
 * outside the range of a `Date`. A writer that hands a COPY its timestamps as text formats them
 * with this (and can format a value shared by many rows once).
 */
export function isoFromEpochMs(ms: number): string | undefined {
  if (!(Math.abs(ms) <= MAX_TIME_MS)) return undefined;
  const t = Math.trunc(ms) + 0; // + 0 turns -0 into 0
  const day = Math.floor(t / DAY_MS);
  const prefix = dayPrefix(day);
  let rest = t - day * DAY_MS;
  const hours = Math.floor(rest / 3_600_000);
  rest -= hours * 3_600_000;
  const minutes = Math.floor(rest / 60_000);
  rest -= minutes * 60_000;
  const seconds = Math.floor(rest / 1000);
  return `${prefix}${PAD2[hours]!}:${PAD2[minutes]!}:${PAD2[seconds]!}.${PAD3[rest - seconds * 1000]!}Z`;
}

function isoOf(ms: number, value: unknown): string {
  return isoFromEpochMs(ms) ?? reject(value, 'timestamp (a valid Date, epoch milliseconds or ISO string)');
}

const encodeTimestamp: FieldEncoder = (value) => {
  if (value instanceof Date) return isoOf(value.getTime(), value);
  if (typeof value === 'number') return isoOf(value, value);
  // Strings go to PostgreSQL as they are: it parses ISO 8601 (with microseconds) and reports bad ones.
  if (typeof value === 'string' && value.trim() !== '') return escapeCopyText(value);
  return reject(value, 'timestamp (a Date, epoch milliseconds or ISO string)');
};

const encodeJson: FieldEncoder = (value) => {
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch (error) {
    return reject(value, `json (JSON.stringify failed: ${error instanceof Error ? error.message : String(error)})`);
  }
  if (json === undefined) return reject(value, 'json (a JSON-serialisable value)');
  if (json.includes('\\u0000')) {
    throw new CopyValueError('contains U+0000 in a JSON string, which PostgreSQL jsonb cannot store');
  }
  return escapeCopyText(json);
};

/** The encoder of each column type. */
export const FIELD_ENCODERS: Readonly<Record<ColumnType, FieldEncoder>> = {
  text: encodeText,
  integer: integerEncoder(-(2n ** 31n), 2n ** 31n - 1n, 'integer'),
  bigint: integerEncoder(-(2n ** 63n), 2n ** 63n - 1n, 'bigint'),
  real: encodeReal,
  boolean: encodeBoolean,
  timestamp: encodeTimestamp,
  json: encodeJson,
};

/** The compiled encoding of one table: column order, encoders and nullability. */
export interface CopyPlan {
  readonly table: string;
  readonly names: readonly string[];
  readonly types: readonly ColumnType[];
  readonly encoders: readonly FieldEncoder[];
  readonly nullable: readonly boolean[];
  readonly isKey: readonly boolean[];
  readonly known: ReadonlySet<string>;
}

/** Compiles the encoding of a (validated) table spec, once per spec. */
export function copyPlan(spec: TableSpec): CopyPlan {
  const keys = new Set(spec.key);
  return {
    table: spec.name,
    names: spec.columns.map((c) => c.name),
    types: spec.columns.map((c) => c.type),
    encoders: spec.columns.map((c) => FIELD_ENCODERS[c.type]),
    nullable: spec.columns.map((c) => c.nullable === true && !keys.has(c.name)),
    isKey: spec.columns.map((c) => keys.has(c.name)),
    known: new Set(spec.columns.map((c) => c.name)),
  };
}

/** A row or value the encoder refused, with where it is. */
export class RowEncodingError extends Error {
  constructor(
    message: string,
    /** 0-based index of the row in the batch. */
    readonly row: number,
    /** The column, when one is at fault. */
    readonly column: string | undefined,
  ) {
    super(message);
  }
}

/** Default size of one chunk, in UTF-16 code units (about 1 MB of ASCII). */
export const DEFAULT_CHUNK_CHARS = 1 << 20;

/** Throws when a row has a property that is not a column of the table. */
function checkColumns(plan: CopyPlan, row: Row, index: number): void {
  for (const name in row) {
    if (!plan.known.has(name) && Object.hasOwn(row, name)) {
      throw new RowEncodingError(
        `row ${index} of table "${plan.table}" has column "${name}", which is not in the table spec ` +
          `(columns: ${plan.names.join(', ')}); add it to the spec and migrate, or drop it from the rows`,
        index,
        name,
      );
    }
  }
}

/** How to encode a batch. */
export interface EncodeOptions {
  /**
   * Keep only the last row of each key, in the order of their last occurrence (an upsert cannot
   * touch one row twice), with core's `keepLastOfEachKey`. Keys are compared on their encoded
   * text, as PostgreSQL compares them: `1`, `1n` and `"1"` are one integer key; a Date and its
   * epoch milliseconds are one timestamp. (Core's type-blind `rowKey` keeps `1` and `"1"` apart,
   * which would make PostgreSQL refuse the upsert for touching one row twice.)
   */
  dedupe?: boolean;
  /** Size of one chunk, in characters (default about 1 MB). */
  chunkChars?: number;
}

/** Encoded rows, ready for COPY. */
export interface EncodedRows {
  /** COPY text, each chunk ending on a row boundary. */
  chunks: string[];
  /** Rows encoded (after de-duplication). */
  count: number;
}

/**
 * Encodes rows into COPY text chunks. Throws `RowEncodingError` naming the table, row and column
 * of the first bad value, or a property that is not a column.
 */
export function encodeCopyRows(plan: CopyPlan, rows: readonly Row[], options: EncodeOptions = {}): EncodedRows {
  const { names, encoders, nullable, isKey } = plan;
  const chunkChars = options.chunkChars ?? DEFAULT_CHUNK_CHARS;
  const dedupe = options.dedupe === true;
  const keyColumns = isKey.filter(Boolean).length;
  /** Every line (flat strings, joined from the fields: no rope of concatenations is kept alive). */
  const lines: string[] = new Array<string>(rows.length);
  const keys: string[] = dedupe ? new Array<string>(rows.length) : [];
  const width = names.length;
  const fields = new Array<string>(width);
  const keyFields = new Array<string>(keyColumns);
  let index = 0;
  let column = 0;
  try {
    for (; index < rows.length; index++) {
      const row = rows[index]!;
      if (typeof row !== 'object' || row === null) {
        throw new RowEncodingError(`row ${index} of table "${plan.table}" is ${show(row)}, not an object of columns`, index, undefined);
      }
      let present = 0;
      let k = 0;
      for (column = 0; column < width; column++) {
        const value = row[names[column]!];
        let field: string;
        if (value === null || value === undefined) {
          if (!nullable[column]) throw new CopyValueError('is missing or null, but the column is not nullable');
          field = '\\N';
        } else {
          field = encoders[column]!(value);
        }
        if (value !== undefined) present++;
        fields[column] = field;
        if (dedupe && isKey[column]) keyFields[k++] = field;
      }
      // More own properties than columns present means one that is not a column (for-in allocates nothing).
      let own = 0;
      for (const _ in row) own++;
      if (own !== present) checkColumns(plan, row, index);
      lines[index] = fields.join('\t');
      if (dedupe) keys[index] = keyColumns === 1 ? keyFields[0]! : keyFields.join('\t');
    }
  } catch (error) {
    if (error instanceof CopyValueError) {
      const name = names[column]!;
      throw new RowEncodingError(`row ${index} of table "${plan.table}": column "${name}" ${error.message}`, index, name);
    }
    throw error;
  }
  const kept = dedupe ? keepLastOfEachKey(lines, (_, i) => keys[i]!) : lines;
  return { chunks: joinChunks(kept, chunkChars), count: kept.length };
}

/** Lines joined into chunks of about `chunkChars` characters, each ending with a line end. */
function joinChunks(lines: readonly string[], chunkChars: number): string[] {
  const chunks: string[] = [];
  let from = 0;
  let chars = 0;
  for (let i = 0; i < lines.length; i++) {
    chars += lines[i]!.length + 1;
    if (chars >= chunkChars || i === lines.length - 1) {
      const part = lines.slice(from, i + 1);
      part.push(''); // so that join ends the last line too, in one flat string
      chunks.push(part.join('\n'));
      from = i + 1;
      chars = 0;
    }
  }
  return chunks;
}
