/**
 * Turning a batch of rows into multi-row statements, pure: checks every row against the table spec
 * (unknown columns, NULLs, value types) before anything is executed, then cuts the rows into chunks
 * whose sizes come from a small fixed set so that their prepared statements can be cached.
 */
import { StoreError, type Row, type TableSpec, type WriteMode } from '@sluice/core';
import { deleteInSql, insertSql } from './statements.js';
import { CONVERTERS, ValueProblem, describeValue, type Converter } from './values.js';

/** SQLite's default limit of bound parameters per statement (SQLITE_MAX_VARIABLE_NUMBER since 3.32). */
export const MAX_VARIABLES = 32_766;
/** Most rows per statement; larger statements stop paying off. */
export const MAX_ROWS_PER_STATEMENT = 512;

/** A table spec prepared for writing. */
export interface CompiledTable {
  readonly spec: TableSpec;
  readonly columns: readonly string[];
  readonly converters: readonly Converter[];
  readonly nullable: readonly boolean[];
  readonly index: ReadonlyMap<string, number>;
  /** Rows per full statement, within the variable limit. */
  readonly rowsPerStatement: number;
  /** SQL text by mode and row count, built once. */
  readonly sql: Map<string, string>;
}

/** One statement to run: its table, SQL text (the key of its cached prepared statement) and parameters. */
export interface Chunk {
  table: string;
  sql: string;
  params: unknown[];
}

/** Prepares a (validated) spec for writing. */
export function compileTable(spec: TableSpec): CompiledTable {
  const largest = Math.min(MAX_ROWS_PER_STATEMENT, Math.floor(MAX_VARIABLES / spec.columns.length));
  return {
    spec,
    columns: spec.columns.map((c) => c.name),
    converters: spec.columns.map((c) => CONVERTERS[c.type]),
    nullable: spec.columns.map((c) => c.nullable === true),
    index: new Map(spec.columns.map((c, i) => [c.name, i])),
    rowsPerStatement: 2 ** Math.floor(Math.log2(largest)),
    sql: new Map(),
  };
}

/**
 * Statement sizes covering `total` rows: full statements of `max` rows, then the remainder as a
 * sum of powers of two, so that at most log2(max) + 1 statement shapes exist per table and mode.
 */
export function chunkSizes(total: number, max: number): number[] {
  const sizes: number[] = [];
  let left = total;
  for (; left >= max; left -= max) sizes.push(max);
  for (let size = max / 2; size >= 1; size /= 2) {
    if (left >= size) {
      sizes.push(size);
      left -= size;
    }
  }
  return sizes;
}

function rowError(table: CompiledTable, row: Row, rowIndex: number, detail: string): StoreError {
  const key = table.spec.key.map((k) => `${k}=${describeValue(row[k] ?? null)}`).join(', ');
  return new StoreError(
    `write to table "${table.spec.name}", row ${rowIndex} (${key}): ${detail}. Fix the row or the table spec; nothing of the batch was written.`,
    'write',
    table.spec.name,
  );
}

/** Appends the converted values of one row to `params`, checking it against the spec. */
function pushRow(table: CompiledTable, row: Row, rowIndex: number, params: unknown[]): void {
  for (const name in row) {
    if (!table.index.has(name)) {
      throw rowError(table, row, rowIndex, `column "${name}" is not a column of the table (it has ${table.columns.join(', ')})`);
    }
  }
  const { columns, converters, nullable } = table;
  for (let c = 0; c < columns.length; c++) {
    const value = row[columns[c]!];
    if (value === null || value === undefined) {
      if (!nullable[c]) throw rowError(table, row, rowIndex, `column "${columns[c]}" is not nullable but the row has no value for it`);
      params.push(null);
      continue;
    }
    try {
      params.push(converters[c]!(value));
    } catch (error) {
      if (!(error instanceof ValueProblem)) throw error;
      const type = table.spec.columns[c]!.type;
      throw rowError(table, row, rowIndex, `column "${columns[c]}" (${type}) expects ${error.expected}, got ${describeValue(value)}`);
    }
  }
}

function statementSql(table: CompiledTable, mode: WriteMode, rows: number): string {
  const id = `${mode}:${rows}`;
  let sql = table.sql.get(id);
  if (sql === undefined) {
    sql = insertSql(table.spec.name, table.columns, table.spec.key, mode, rows);
    table.sql.set(id, sql);
  }
  return sql;
}

/**
 * The statements that write `rows` (already de-duplicated with `dedupeRows` for merge) in `mode`. Throws a
 * `StoreError` naming table, row and column for the first row that does not fit the spec.
 */
export function planWrite(table: CompiledTable, rows: readonly Row[], mode: WriteMode): Chunk[] {
  const chunks: Chunk[] = [];
  let start = 0;
  for (const size of chunkSizes(rows.length, table.rowsPerStatement)) {
    const params: unknown[] = [];
    for (let r = start; r < start + size; r++) pushRow(table, rows[r]!, r, params);
    chunks.push({ table: table.spec.name, sql: statementSql(table, mode, size), params });
    start += size;
  }
  return chunks;
}

/**
 * The statements that delete the rows whose `column` equals one of `values` (a batch's `replace`,
 * checked by core's `replaceProblem`), in the statement shapes of `planWrite`. Throws a `StoreError`
 * naming the value that does not fit the column.
 */
export function planDelete(table: CompiledTable, column: string, values: readonly unknown[]): Chunk[] {
  const c = table.index.get(column)!;
  const params = values.map((value, i) => {
    try {
      return table.converters[c]!(value);
    } catch (error) {
      if (!(error instanceof ValueProblem)) throw error;
      const type = table.spec.columns[c]!.type;
      throw new StoreError(
        `write to table "${table.spec.name}": replace.in[${i}] for column "${column}" (${type}) expects ${error.expected}, got ${describeValue(value)}; nothing of the batch was written.`,
        'write',
        table.spec.name,
      );
    }
  });
  const chunks: Chunk[] = [];
  let start = 0;
  for (const size of chunkSizes(params.length, MAX_ROWS_PER_STATEMENT)) {
    chunks.push({ table: table.spec.name, sql: deleteInSql(table.spec.name, column, size), params: params.slice(start, start + size) });
    start += size;
  }
  return chunks;
}
