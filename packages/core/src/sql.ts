/**
 * Engine-neutral helpers for SQL stores: identifier checks, table-spec checks and in-batch
 * de-duplication. Adapters quote with their engine's rules but validate here, so a name from
 * configuration can never smuggle SQL.
 */
import { ConfigError, IdentifierError } from './errors.js';
import type { Row, TableSpec } from './types.js';

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** Returns the name if it is a plain SQL identifier, else throws `IdentifierError`. */
export function assertIdentifier(name: string): string {
  if (!IDENTIFIER.test(name)) throw new IdentifierError(name);
  return name;
}

/** Double-quotes a validated identifier (standard SQL, valid for PostgreSQL and SQLite). */
export function quoteIdentifier(name: string): string {
  return `"${assertIdentifier(name)}"`;
}

/** `l."a" = r."x" AND …`: columns of row alias `left` equal, pairwise, columns of row alias `right`. */
export function columnsEqualSql(left: string, leftColumns: readonly string[], right: string, rightColumns: readonly string[]): string {
  return leftColumns.map((c, i) => `${left}.${quoteIdentifier(c)} = ${right}.${quoteIdentifier(rightColumns[i]!)}`).join(' AND ');
}

/** Checks a table spec: safe names, at least one key column, key columns among the columns. */
export function assertTableSpec(spec: TableSpec): void {
  assertIdentifier(spec.name);
  if (spec.columns.length === 0) throw new ConfigError(`table "${spec.name}" has no columns`, 'columns');
  const names = new Set<string>();
  for (const column of spec.columns) {
    assertIdentifier(column.name);
    if (names.has(column.name)) {
      throw new ConfigError(`table "${spec.name}" declares column "${column.name}" twice`, 'columns');
    }
    names.add(column.name);
  }
  if (spec.key.length === 0) {
    throw new ConfigError(`table "${spec.name}" needs a natural key (at least one column)`, 'key');
  }
  for (const k of spec.key) {
    if (!names.has(k)) throw new ConfigError(`key column "${k}" is not a column of table "${spec.name}"`, 'key');
  }
}

/**
 * Starts the key text of values JSON cannot encode (NaN, Infinity, a BigInt inside an object, a
 * cycle, a function); no JSON text has it, so such values never fall together with a valid one.
 */
const UNENCODABLE = '\u0000';

/** JSON text of one key value in canonical form; see `rowKey`. */
function keyText(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      return Number.isFinite(value) ? String(value) : `${UNENCODABLE}${value}`;
    case 'bigint':
      return JSON.stringify(value.toString());
    case 'boolean':
      return value ? 'true' : 'false';
    case 'undefined':
      return 'null';
    default:
      if (value === null) return 'null';
      if (value instanceof Date) return keyText(value.getTime());
      return objectText(value);
  }
}

/** JSON text of an object (or other non-primitive) key value. */
function objectText(value: unknown): string {
  try {
    return JSON.stringify(value) ?? `${UNENCODABLE}${typeof value}`;
  } catch {
    return `${UNENCODABLE}object`;
  }
}

/**
 * The natural key of a row as one string (a JSON array of the key values), for de-duplication.
 * Values are keyed canonically: a BigInt as its decimal string (`5n` and `"5"` are one key, as both
 * stores write them), a Date as its epoch milliseconds (`new Date(5)` and `5` are one key), an
 * absent value as null; a string and a number stay apart (`"5"` is not `5`). Values JSON cannot
 * encode (NaN, Infinity, an object with a BigInt inside) never share a key with one it can.
 */
export function rowKey(row: Row, key: readonly string[]): string {
  let text = '[';
  for (let i = 0; i < key.length; i++) text += (i === 0 ? '' : ',') + keyText(row[key[i]!]);
  return `${text}]`;
}

/**
 * A key value as a `Map` key that is equal exactly when `rowKey` is (strings, finite numbers,
 * BigInts, valid Dates, booleans, null), or `undefined` for values only `rowKey` can compare.
 */
function simpleKey(value: unknown): unknown {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) ? value : undefined;
    case 'bigint':
      return value.toString();
    case 'undefined':
      return null;
    default:
      if (value === null) return null;
      return value instanceof Date ? simpleKey(value.getTime()) : undefined;
  }
}

/**
 * Whether two rows share a key, told without building key strings: `true` or `false` when every
 * key value is simple (string, finite number, BigInt, valid Date, boolean, null), `undefined` as
 * soon as one is not (an object, NaN) and only `rowKey` can tell.
 */
export function hasDuplicateKeys(rows: readonly Row[], key: readonly string[]): boolean | undefined {
  const root = new Map<unknown, unknown>();
  const last = key.length - 1;
  for (const row of rows) {
    let level = root;
    for (let i = 0; i <= last; i++) {
      const value = simpleKey(row[key[i]!]);
      if (value === undefined) return undefined;
      const next = level.get(value);
      if (i === last) {
        if (next !== undefined) return true;
        level.set(value, true);
      } else if (next === undefined) {
        const created = new Map<unknown, unknown>();
        level.set(value, created);
        level = created;
      } else {
        level = next as Map<unknown, unknown>;
      }
    }
  }
  return false;
}

/**
 * Keeps the last item of each key (as `keyOf` gives it), in the order of those last items.
 * Returns `items` itself when no two items share a key.
 */
export function keepLastOfEachKey<T>(items: readonly T[], keyOf: (item: T, index: number) => string): readonly T[] {
  const lastOfKey = new Map<string, number>();
  for (let i = 0; i < items.length; i++) lastOfKey.set(keyOf(items[i]!, i), i);
  if (lastOfKey.size === items.length) return items;
  const keep = new Uint8Array(items.length);
  for (const i of lastOfKey.values()) keep[i] = 1;
  return items.filter((_, i) => keep[i] === 1);
}

/**
 * Keeps the last row of each key (see `rowKey`), in the order of their last occurrence. An upsert
 * statement cannot touch one row twice (PostgreSQL refuses), so stores de-duplicate a batch first.
 * Returns `rows` itself when no two rows share a key (the usual case), which it finds out without
 * building key strings when the key values are simple.
 */
export function dedupeRows(rows: readonly Row[], key: readonly string[]): readonly Row[] {
  if (hasDuplicateKeys(rows, key) === false) return rows;
  return keepLastOfEachKey(rows, (row) => rowKey(row, key));
}

/** `dedupeRows` into a new array (never `rows` itself). */
export function dedupeByKey(rows: readonly Row[], key: readonly string[]): Row[] {
  const kept = dedupeRows(rows, key);
  return kept === rows ? [...rows] : (kept as Row[]);
}
