/**
 * The CPU side of a write, pure: checking a batch's shape, rows and dead letters and converting
 * them into the parameters of cached multi-row statements. `write` runs such a plan in one
 * transaction; `prepare` makes it ahead of time, while the previous batch is in the database.
 */
import { ConfigError, batchCheckpoints, dedupeRows, replaceProblem, type Checkpoint, type WriteBatch } from '@sluice/core';
import { deadLetterRow } from './own-tables.js';
import { planDelete, planWrite, type Chunk, type CompiledTable } from './table-writer.js';

/** A batch checked and converted, ready to run (its checkpoints excepted, stamped at write time). */
export interface BatchPlan {
  /** The deletes of the rows the batch replaces, run before `chunks`. */
  readonly replace: readonly Chunk[];
  /** The statements of the rows, in any order (a batch's rows have distinct keys). */
  readonly chunks: readonly Chunk[];
  /** The statements of the dead letters, to run one after another: their ids keep the batch's order. */
  readonly letters: readonly Chunk[];
  /** Every checkpoint of the batch, checked. */
  readonly checkpoints: readonly Checkpoint[];
  /** Rows written: after de-duplication on the key in merge mode. */
  readonly written: number;
  readonly deadLetters: number;
}

/**
 * Checks what can be checked before the table is known: `rows` is an array, and a batch with rows
 * names its table. Returns the table name, or `undefined` for a batch of dead letters or a
 * checkpoint only. Throws `ConfigError`.
 */
export function batchTable(batch: WriteBatch): string | undefined {
  const input: unknown = batch.rows;
  if (!Array.isArray(input)) {
    throw new ConfigError(`write to table "${batch.table}": batch.rows must be an array of rows`, 'rows');
  }
  if (batch.table === undefined && input.length > 0) {
    throw new ConfigError(`write: a batch of ${input.length} rows has no table; set batch.table`, 'table');
  }
  return batch.table;
}

/**
 * Plans a batch that passed `batchTable` against its compiled table (`undefined` when it has none)
 * and the dead-letter table. Throws `ConfigError` for an unknown mode, bad checkpoints or a bad
 * `replace`, and `StoreError` naming table, row and column for the first row, dead letter or
 * replaced value that does not fit.
 */
export function planBatch(batch: WriteBatch, table: CompiledTable | undefined, deadLetters: CompiledTable): BatchPlan {
  const write = `write${batch.table === undefined ? '' : ` to table "${batch.table}"`}`;
  const checkpoints = batchCheckpoints(batch);
  if (typeof checkpoints === 'string') throw new ConfigError(`${write}: ${checkpoints}`, 'checkpoints');
  const problem = replaceProblem(batch, table?.spec);
  if (problem !== undefined) throw new ConfigError(`${write}: ${problem}`, 'replace');
  const replace = table !== undefined && batch.replace !== undefined ? planDelete(table, batch.replace.column, batch.replace.in) : [];
  const chunks: Chunk[] = [];
  let written = 0;
  if (table !== undefined) {
    const mode = batch.mode ?? table.spec.mode ?? 'merge';
    if (mode !== 'merge' && mode !== 'append') {
      throw new ConfigError(`write to table "${batch.table}": unknown mode "${String(mode)}"; use "merge" or "append"`, 'mode');
    }
    const rows = mode === 'merge' ? dedupeRows(batch.rows, table.spec.key) : batch.rows;
    chunks.push(...planWrite(table, rows, mode));
    written = rows.length;
  }
  const letters = batch.deadLetters ?? [];
  const letterChunks = planWrite(deadLetters, letters.map(deadLetterRow), 'append');
  return { replace, chunks, letters: letterChunks, checkpoints, written, deadLetters: letters.length };
}
