/**
 * SQL text of the SQLite store, built from table specs. Pure functions: every table and column name
 * goes through `quoteIdentifier`, which refuses anything that is not a plain identifier.
 */
import { quoteIdentifier, type ColumnSpec, type ColumnType, type TableSpec, type WriteMode } from '@sluice/core';

/**
 * SQLite storage class of each column type. `boolean` is 0/1, `timestamp` is epoch milliseconds
 * (INTEGER, so it sorts and compares numerically), `json` is JSON text.
 */
export const SQL_TYPES: Readonly<Record<ColumnType, string>> = {
  text: 'TEXT',
  integer: 'INTEGER',
  bigint: 'INTEGER',
  real: 'REAL',
  boolean: 'INTEGER',
  timestamp: 'INTEGER',
  json: 'TEXT',
};

/** The column definition inside CREATE TABLE / ADD COLUMN. */
export function columnDefinition(column: ColumnSpec): string {
  return `${quoteIdentifier(column.name)} ${SQL_TYPES[column.type]}${column.nullable ? '' : ' NOT NULL'}`;
}

/**
 * `CREATE TABLE` with a PRIMARY KEY on the natural key. A table without `json` columns (rows of
 * scalars, usually small) is `WITHOUT ROWID`: the key's b-tree is the table, so a write updates
 * one b-tree instead of a rowid table plus its key index, and a read in key order is a sequential
 * scan instead of an index walk with a table lookup per row. Tables with `json` columns (rows that
 * may be large, which SQLite keeps better in a rowid table) keep the rowid.
 */
export function createTableSql(spec: TableSpec): string {
  const columns = spec.columns.map(columnDefinition);
  const key = spec.key.map(quoteIdentifier).join(', ');
  const withoutRowid = spec.columns.every((c) => c.type !== 'json') ? ' WITHOUT ROWID' : '';
  return `CREATE TABLE ${quoteIdentifier(spec.name)} (${columns.join(', ')}, PRIMARY KEY (${key}))${withoutRowid}`;
}

/** `ALTER TABLE … ADD COLUMN` for a new (nullable) column. */
export function addColumnSql(table: string, column: ColumnSpec): string {
  return `ALTER TABLE ${quoteIdentifier(table)} ADD COLUMN ${columnDefinition(column)}`;
}

/**
 * A multi-row INSERT of `rowCount` rows. `merge` adds `ON CONFLICT (key) DO UPDATE` of every
 * non-key column (or `DO NOTHING` when all columns are key columns); `append` is a plain INSERT.
 */
export function insertSql(
  table: string,
  columns: readonly string[],
  key: readonly string[],
  mode: WriteMode,
  rowCount: number,
): string {
  const tuple = `(${columns.map(() => '?').join(',')})`;
  const values = Array.from({ length: rowCount }, () => tuple).join(',');
  const insert = `INSERT INTO ${quoteIdentifier(table)} (${columns.map(quoteIdentifier).join(', ')}) VALUES ${values}`;
  if (mode === 'append') return insert;
  const keySet = new Set(key);
  const updates = columns.filter((c) => !keySet.has(c)).map((c) => `${quoteIdentifier(c)} = excluded.${quoteIdentifier(c)}`);
  const action = updates.length === 0 ? 'DO NOTHING' : `DO UPDATE SET ${updates.join(', ')}`;
  return `${insert} ON CONFLICT (${key.map(quoteIdentifier).join(', ')}) ${action}`;
}

/** Whether a table exists: one row `{ n: 1 }` if it does. */
export const TABLE_EXISTS_SQL = "SELECT 1 AS n FROM sqlite_schema WHERE type = 'table' AND name = ?";

/** `DELETE FROM table WHERE column IN (?, …)` with `count` placeholders. */
export function deleteInSql(table: string, column: string, count: number): string {
  return `DELETE FROM ${quoteIdentifier(table)} WHERE ${quoteIdentifier(column)} IN (${Array.from({ length: count }, () => '?').join(', ')})`;
}
