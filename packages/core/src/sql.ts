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

/** The natural key of a row as one string (for de-duplication and checksums). */
export function rowKey(row: Row, key: readonly string[]): string {
  return JSON.stringify(key.map((k) => row[k] ?? null));
}

/**
 * Keeps the last row of each key, in the order of their last occurrence. An upsert statement
 * cannot touch one row twice (PostgreSQL refuses), so stores de-duplicate a batch first.
 */
export function dedupeByKey(rows: readonly Row[], key: readonly string[]): Row[] {
  const last = new Map<string, Row>();
  for (const row of rows) {
    const k = rowKey(row, key);
    last.delete(k);
    last.set(k, row);
  }
  return [...last.values()];
}
