/** load: Source → Store directly, with the checkpoint in the same transaction as the rows. */
import { concat, defer, switchMap } from 'rxjs';
import type { ZodType } from 'zod';
import { ConfigError, describeError } from '../errors.js';
import { retry } from '../retry.js';
import type { PipelineRun, Position, Row, Source, Store, WriteBatch, WriteMode } from '../types.js';
import { deadLetter } from './dead-letters.js';
import { FlowGate } from './flow-gate.js';
import { batching, retrying, type PipelineOptions } from './options.js';
import { processBatches, type SourceBatch } from './read-batches.js';
import { startRun } from './run.js';
import { StatusReporter } from './status.js';
import { writeIsolating, type IsolatedWrite } from './write-isolating.js';
import { commitOrder } from './commit-order.js';

/** What `load` reads and where it writes. */
export interface LoadOptions<T> extends PipelineOptions {
  source: Source<unknown>;
  store: Store;
  table: string;
  /** Validates (and may transform) each record; failures go to the dead letters. */
  schema?: ZodType<T>;
  /** Maps a valid record to a row of `table`. */
  toRow: (value: T) => Row;
  /** Write mode (default: the table's). `append` is fastest but not idempotent. */
  mode?: WriteMode;
  /** Resume after the stream's saved checkpoint (default true): incremental mode. */
  incremental?: boolean;
  /** Checkpoint stream name (default: the source name). */
  stream?: string;
  /**
   * Whether each batch commits the source position (default true). `false` for a load into a table
   * whose rows do not outlive a crash (an unlogged staging table): a checkpoint would then promise
   * rows that are gone. Such a load starts from the beginning (or `from`) and saves no position.
   */
  checkpoints?: boolean;
  /** Start after this position (overrides a saved checkpoint). */
  from?: Position;
  /**
   * Commit points, e.g. `isFileEnd` for a `directorySource`: a batch (one transaction, with its
   * checkpoint) closes only after an item this returns true for, so a file's rows never split
   * across transactions and a crash leaves all of a file or nothing of it. Costs the memory of one
   * unit (a file) beyond `maxBuffered`. Records after the last commit point when the run stops
   * are not written; the next run reads them again.
   */
  commitAt?: (position: Position) => boolean;
  /**
   * Transactions in flight at once (default 1). More lets a store with several connections use more
   * than one of them: PostgreSQL then runs the merge of batch k + 1 while batch k commits. Batches
   * may commit out of order, so each carries the checkpoint of the batch `writers` before it (that
   * one has committed when it starts): a crash makes the next run write up to `writers` batches
   * again (and their dead letters). Only for writes that are harmless to repeat (merge on a key,
   * not `append`), as with a broker's at-least-once delivery.
   */
  writers?: number;
}

/** The store write a batch of source records became, with what is reported of the batch once written. */
interface PreparedLoad {
  write: WriteBatch;
  /** Records in the batch (accepted + rejected). */
  size: number;
  last: Position | undefined;
  /** Order of the batch in this run, from 0. */
  seq: number;
}

/** Checks `writers`: a whole number from 1 to 64, above 1 only for writes that may be repeated. */
function writersOf(options: { writers?: number; mode?: WriteMode }): number {
  const writers = options.writers ?? 1;
  if (!Number.isInteger(writers) || writers < 1 || writers > 64) {
    throw new ConfigError(`load: writers must be a whole number from 1 to 64, got ${String(writers)}`, 'writers');
  }
  if (writers > 1 && options.mode === 'append') {
    throw new ConfigError(
      'load: writers above 1 can write a batch again after a crash, which append mode would store twice; use mode "merge" (a keyed table) or one writer',
      'writers',
    );
  }
  return writers;
}

/** Checks `checkpoints`: whether the load saves (and resumes from) source positions. */
function savesCheckpoints(options: { checkpoints?: boolean; incremental?: boolean }): boolean {
  if (options.checkpoints === false && options.incremental === true) {
    throw new ConfigError('load: incremental mode resumes from a saved checkpoint, and checkpoints: false saves none; drop one of them', 'checkpoints');
  }
  return options.checkpoints !== false;
}

/**
 * Loads a source into a store table. Each batch's rows, dead letters and checkpoint commit in
 * one transaction, so a crash can never leave the cursor ahead of the rows: a re-run resumes
 * exactly after the last committed batch (with `writers` above 1, at most that many batches
 * earlier). `read = persisted + rejected`.
 */
export function load<T>(options: LoadOptions<T>): PipelineRun {
  const { source, store, table } = options;
  const reporter = new StatusReporter(options.name ?? `load:${source.name}→${table}`);
  const writers = writersOf(options);
  const saves = savesCheckpoints(options);
  const { batchSize, batchMs, maxBuffered } = batching(options, writers);
  const retryOptions = retrying(options, reporter);
  const stream = options.stream ?? source.name;
  const gate = new FlowGate(maxBuffered);
  const order = writers > 1 ? commitOrder(writers) : undefined;
  let prepared = 0;
  let finished = -1;
  const inFlight = new Set<Promise<IsolatedWrite>>();

  /** The store write of a batch, mapped and (where the store can) encoded ahead of its turn. */
  const prepareWrite = (batch: SourceBatch<T>): PreparedLoad => {
    const rows: Row[] = [];
    for (const { value, position } of batch.accepted) {
      try {
        rows.push(options.toRow(value));
      } catch (error) {
        batch.letters.push(deadLetter(source.name, `could not map to a row: ${describeError(error)}`, value, { position }));
      }
    }
    const seq = prepared++;
    const checkpoint = order ? order.checkpointOf(seq, batch.last) : batch.last;
    const write: WriteBatch = {
      table,
      rows,
      deadLetters: batch.letters,
      ...(options.mode ? { mode: options.mode } : {}),
      ...(checkpoint && saves ? { checkpoint: { stream, position: checkpoint } } : {}),
    };
    store.prepare?.(write);
    // Only the rows are kept (to isolate refused ones): the records and positions die young.
    return { write, size: batch.size, last: batch.last, seq };
  };

  const writeBatch = async ({ write, size, last, seq }: PreparedLoad): Promise<void> => {
    reporter.read(size, last);
    let written: IsolatedWrite;
    let writing: Promise<IsolatedWrite> | undefined;
    try {
      if (order) await order.before(seq);
      writing = writeIsolating(store, write, source.name, retryOptions);
      inFlight.add(writing);
      written = await writing;
    } catch (error) {
      order?.failed(seq, error);
      // The run ends with this error only once the other writers' transactions have ended (this
      // one's, settled, is among them until `finally`).
      await Promise.allSettled(inFlight);
      throw error;
    } finally {
      if (writing) inFlight.delete(writing);
    }
    order?.committed(seq);
    reporter.persisted(written.persisted);
    reporter.rejected(written.letters);
    if (seq > finished) {
      finished = seq;
      reporter.position = last ?? reporter.position;
    }
    gate.release(size);
  };

  /** With several writers, the last batch's checkpoint once every batch has committed. */
  const finalCheckpoint = defer(async () => {
    const last = order?.last();
    if (last && saves) await retry(() => store.write({ rows: [], checkpoint: { stream, position: last } }), { ...retryOptions, operation: `checkpoint of ${stream}` });
  });

  return startRun(
    reporter,
    (stop$) =>
      defer(async () => options.from ?? (options.incremental === false || !saves ? undefined : await store.readCheckpoint(stream))).pipe(
        switchMap((start) =>
          concat(
            processBatches(
              source,
              { ...(start ? { from: start } : {}), schema: options.schema, batchSize, batchMs, gate, stop$, prepare: prepareWrite, concurrency: writers, ...(options.commitAt ? { commitAt: options.commitAt } : {}) },
              writeBatch,
            ),
            finalCheckpoint,
          ),
        ),
      ),
    options,
  );
}
