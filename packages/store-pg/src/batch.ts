/**
 * The pure half of a write: the statements compiled once per migrated table, and a batch checked
 * and encoded before any I/O, so bad input is refused before a connection is even taken.
 */
import type { Checkpoint, DeadLetter, TableSpec, WriteBatch, WriteMode } from '@sluice/core';
import { RowEncodingError, copyPlan, encodeCopyRows, type CopyPlan } from './copy-encode.js';
import { createStagingSql, qualify } from './ddl.js';
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
  copyIntoStaging: string;
  copyIntoTable: string;
  merge: string;
}

/** Compiles the write statements of a migrated spec. */
export function compileTable(schema: string, spec: TableSpec, checksum: string, staging: string): CompiledTable {
  const names = spec.columns.map((c) => c.name);
  return {
    spec,
    checksum,
    plan: copyPlan(spec),
    staging,
    createStaging: createStagingSql(staging, spec),
    copyIntoStaging: copyFromSql(stagingTarget(staging), names),
    copyIntoTable: copyFromSql(qualify(schema, spec.name), names),
    merge: mergeSql(schema, spec, staging),
  };
}

/** A batch ready to send. */
export interface PreparedBatch {
  mode: WriteMode;
  context: FailureContext;
  /** COPY text of the rows (de-duplicated on the key for merges). */
  chunks: string[];
  /** Rows in `chunks`. */
  count: number;
  deadLetters: readonly DeadLetter[];
  checkpoint: Checkpoint | undefined;
}

/** Checks the dead letters and the checkpoint of a batch. */
function assertExtras(batch: WriteBatch, context: FailureContext): void {
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
  const checkpoint = batch.checkpoint;
  if (checkpoint === undefined) return;
  if (typeof checkpoint.stream !== 'string' || typeof checkpoint.position !== 'object' || checkpoint.position === null) {
    fail('the checkpoint needs a string stream and a position object');
  }
}

/**
 * Checks a batch and encodes its rows for its compiled table. A batch without a table may carry
 * only dead letters and a checkpoint. Throws a non-retriable `PgStoreError` naming table, row and
 * column for anything wrong.
 */
export function prepareBatch(table: CompiledTable | undefined, batch: WriteBatch, schema: string): PreparedBatch {
  const mode: WriteMode = batch.mode ?? table?.spec.mode ?? 'merge';
  const context: FailureContext = { operation: 'write', schema, mode, ...(table ? { table: table.spec.name } : {}) };
  if (mode !== 'merge' && mode !== 'append') {
    throw refusal(context, `mode "${String(mode)}" is neither "merge" nor "append"`);
  }
  if (!Array.isArray(batch.rows)) throw refusal(context, 'rows must be an array');
  assertExtras(batch, context);
  const extras = { mode, context, deadLetters: batch.deadLetters ?? [], checkpoint: batch.checkpoint };
  if (table === undefined) {
    if (batch.rows.length > 0) {
      throw refusal(context, `${batch.rows.length} rows came without a table: name the table they go to`);
    }
    return { ...extras, chunks: [], count: 0 };
  }
  try {
    return { ...extras, ...encodeCopyRows(table.plan, batch.rows, { dedupe: mode === 'merge' }) };
  } catch (error) {
    if (error instanceof RowEncodingError) throw refusal(context, error.message, error);
    throw error;
  }
}
