/**
 * The pure half of a write: the statements compiled once per migrated table, and a batch checked
 * and encoded before any I/O, so bad input is refused before a connection is even taken.
 */
import { batchCheckpoints, quoteIdentifier, replaceProblem, type Checkpoint, type DeadLetter, type TableSpec, type WriteBatch, type WriteMode } from '@sluice/core';
import { encodeCopyBinary } from './copy-binary.js';
import { CopyValueError, FIELD_ENCODERS, RowEncodingError, copyPlan, encodeCopyRows, type CopyPlan } from './copy-encode.js';
import { PG_TYPES, createStagingSql, qualify } from './ddl.js';
import { refusal, type FailureContext } from './errors.js';
import { copyFromSql, mergeSql, stagingTarget } from './upsert.js';

/** Everything the write path needs about one migrated table, compiled once. */
export interface CompiledTable {
  spec: TableSpec;
  /** Checksum of the spec (see `specChecksum`). */
  checksum: string;
  plan: CopyPlan;
  /** Name of the session staging table of this spec (in `pg_temp`). */
  staging: string;
  createStaging: string;
  /** COPY statements by format of the batch (see `PreparedBatch.format`). */
  copyIntoStaging: Record<CopyFormat, string>;
  copyIntoTable: Record<CopyFormat, string>;
  merge: string;
}

/** How a batch's rows are encoded: COPY binary when every value has an exact binary form, else text. */
export type CopyFormat = 'text' | 'binary';

/** Compiles the write statements of a migrated spec. */
export function compileTable(schema: string, spec: TableSpec, checksum: string, staging: string): CompiledTable {
  const names = spec.columns.map((c) => c.name);
  return {
    spec,
    checksum,
    plan: copyPlan(spec),
    staging,
    createStaging: createStagingSql(staging, spec),
    copyIntoStaging: { text: copyFromSql(stagingTarget(staging), names), binary: copyFromSql(stagingTarget(staging), names, 'binary') },
    copyIntoTable: { text: copyFromSql(qualify(schema, spec.name), names), binary: copyFromSql(qualify(schema, spec.name), names, 'binary') },
    merge: mergeSql(schema, spec, staging),
  };
}

/** A batch ready to send. */
export interface PreparedBatch {
  mode: WriteMode;
  context: FailureContext;
  /** The rows (de-duplicated on the key for merges) as COPY data of `format`. */
  chunks: string[] | Buffer[];
  format: CopyFormat;
  /** Rows in `chunks`. */
  count: number;
  deadLetters: readonly DeadLetter[];
  /** Every checkpoint of the batch, `checkpoint` first. */
  checkpoints: readonly Checkpoint[];
  /** The DELETE of the rows the batch replaces, and its one parameter, run before the rows go in. */
  replace: { sql: string; values: string[] } | undefined;
}

/** Checks the dead letters and returns the checkpoints of a batch. */
function checkExtras(batch: WriteBatch, context: FailureContext): Checkpoint[] {
  const fail = (why: string): never => {
    throw refusal(context, why);
  };
  if (batch.deadLetters !== undefined && !Array.isArray(batch.deadLetters)) fail('deadLetters must be an array');
  for (const [i, letter] of (batch.deadLetters ?? []).entries()) {
    if (typeof letter?.origin !== 'string' || typeof letter.reason !== 'string' || typeof letter.payload !== 'string') {
      fail(`dead letter ${i} needs string origin, reason and payload`);
    }
    if (typeof letter.at !== 'number' || Number.isNaN(new Date(letter.at).getTime())) {
      fail(`dead letter ${i} has at = ${String(letter.at)}; give milliseconds since the epoch`);
    }
  }
  const checkpoints = batchCheckpoints(batch);
  return typeof checkpoints === 'string' ? fail(checkpoints) : checkpoints;
}

/**
 * The DELETE of the rows a batch replaces: `= ANY` of one array parameter of the column's type, its
 * values encoded as the column's COPY fields are (unescaped: an array element is not a COPY field).
 */
function replaceOf(batch: WriteBatch, table: CompiledTable | undefined, schema: string, context: FailureContext): PreparedBatch['replace'] {
  const problem = replaceProblem(batch, table?.spec);
  if (problem !== undefined) throw refusal(context, problem);
  if (batch.replace === undefined || table === undefined) return undefined;
  const { column, in: values } = batch.replace;
  const type = table.spec.columns.find((c) => c.name === column)!.type;
  const encode = FIELD_ENCODERS[type];
  const encoded = values.map((value, i) => {
    try {
      const field = encode(value);
      // Only text fields carry COPY escapes (other types encode to plain digits, dates and words).
      return type === 'text' && typeof value === 'string' ? value : field;
    } catch (error) {
      if (error instanceof CopyValueError) throw refusal(context, `replace.in[${i}] ${error.message} (column "${column}", ${type})`);
      throw error;
    }
  });
  const sql = `DELETE FROM ${qualify(schema, table.spec.name)} WHERE ${quoteIdentifier(column)} = ANY($1::${PG_TYPES[type]}[])`;
  return { sql, values: encoded };
}

/**
 * Checks a batch and encodes its rows for its compiled table. A batch without a table may carry
 * only dead letters and checkpoints. Throws a non-retriable `PgStoreError` naming table, row and
 * column for anything wrong.
 */
export function prepareBatch(table: CompiledTable | undefined, batch: WriteBatch, schema: string): PreparedBatch {
  const mode: WriteMode = batch.mode ?? table?.spec.mode ?? 'merge';
  const context: FailureContext = { operation: 'write', schema, mode, ...(table ? { table: table.spec.name } : {}) };
  if (mode !== 'merge' && mode !== 'append') {
    throw refusal(context, `mode "${String(mode)}" is neither "merge" nor "append"`);
  }
  if (!Array.isArray(batch.rows)) throw refusal(context, 'rows must be an array');
  const checkpoints = checkExtras(batch, context);
  const replace = replaceOf(batch, table, schema, context);
  const extras = { mode, context, deadLetters: batch.deadLetters ?? [], checkpoints, replace };
  if (table === undefined) {
    if (batch.rows.length > 0) {
      throw refusal(context, `${batch.rows.length} rows came without a table: name the table they go to`);
    }
    return { ...extras, chunks: [], count: 0, format: 'text' };
  }
  try {
    const dedupe = mode === 'merge';
    const binary = encodeCopyBinary(table.plan, batch.rows, { dedupe });
    if (binary !== undefined) return { ...extras, ...binary, format: 'binary' };
    return { ...extras, ...encodeCopyRows(table.plan, batch.rows, { dedupe }), format: 'text' };
  } catch (error) {
    if (error instanceof RowEncodingError) throw refusal(context, error.message, error);
    throw error;
  }
}
