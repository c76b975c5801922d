/**
 * Pure SQL text of the write path: the COPY statement and the staging → target upsert.
 */
import { quoteIdentifier, type TableSpec } from '@sluice/core';
import { columnList, qualify } from './ddl.js';

/** `COPY target (columns) FROM STDIN` in text format, or binary; `target` is already quoted. */
export function copyFromSql(target: string, columns: readonly string[], format: 'text' | 'binary' = 'text'): string {
  return `COPY ${target} (${columnList(columns)}) FROM STDIN${format === 'binary' ? ' (FORMAT binary)' : ''}`;
}

/** The quoted name of a session's staging table (it lives in `pg_temp`). */
export function stagingTarget(staging: string): string {
  return `pg_temp.${quoteIdentifier(staging)}`;
}

/**
 * Moves the staging rows into the target, updating rows whose key exists. Rows whose values are
 * all unchanged are left alone (no dead tuple, no WAL), which keeps re-deliveries cheap. A table
 * made of key columns only has nothing to update: conflicts are ignored.
 */
export function mergeSql(schema: string, spec: TableSpec, staging: string): string {
  const names = spec.columns.map((c) => c.name);
  const keys = new Set(spec.key);
  const rest = names.filter((n) => !keys.has(n));
  const target = qualify(schema, spec.name);
  const insert =
    `INSERT INTO ${target} AS t (${columnList(names)}) SELECT ${columnList(names)} FROM ${stagingTarget(staging)} ` +
    `ON CONFLICT (${columnList(spec.key)}) DO `;
  if (rest.length === 0) return `${insert}NOTHING`;
  const set = rest.map((n) => `${quoteIdentifier(n)} = EXCLUDED.${quoteIdentifier(n)}`).join(', ');
  const current = rest.map((n) => `t.${quoteIdentifier(n)}`).join(', ');
  const incoming = rest.map((n) => `EXCLUDED.${quoteIdentifier(n)}`).join(', ');
  return `${insert}UPDATE SET ${set} WHERE (${current}) IS DISTINCT FROM (${incoming})`;
}
