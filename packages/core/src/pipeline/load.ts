/** load: Source → Store directly, with the checkpoint in the same transaction as the rows. */
import { defer, switchMap } from 'rxjs';
import type { ZodType } from 'zod';
import { describeError } from '../errors.js';
import type { PipelineRun, Position, Row, Source, Store, WriteBatch, WriteMode } from '../types.js';
import { deadLetter } from './dead-letters.js';
import { FlowGate } from './flow-gate.js';
import { batching, retrying, type PipelineOptions } from './options.js';
import { processBatches, type SourceBatch } from './read-batches.js';
import { startRun } from './run.js';
import { StatusReporter } from './status.js';
import { writeIsolating } from './write-isolating.js';

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
}

/** The store write a batch of source records became, with what is reported of the batch once written. */
interface PreparedLoad {
  write: WriteBatch;
  /** Records in the batch (accepted + rejected). */
  size: number;
  last: Position | undefined;
}

/**
 * Loads a source into a store table. Each batch's rows, dead letters and checkpoint commit in
 * one transaction, so a crash can never leave the cursor ahead of the rows: a re-run resumes
 * exactly after the last committed batch. `read = persisted + rejected`.
 */
export function load<T>(options: LoadOptions<T>): PipelineRun {
  const { source, store, table } = options;
  const reporter = new StatusReporter(options.name ?? `load:${source.name}→${table}`);
  const { batchSize, batchMs, maxBuffered } = batching(options);
  const retryOptions = retrying(options, reporter);
  const stream = options.stream ?? source.name;
  const gate = new FlowGate(maxBuffered);

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
    const write: WriteBatch = {
      table,
      rows,
      deadLetters: batch.letters,
      ...(options.mode ? { mode: options.mode } : {}),
      ...(batch.last ? { checkpoint: { stream, position: batch.last } } : {}),
    };
    store.prepare?.(write);
    // Only the rows are kept (to isolate refused ones): the records and positions die young.
    return { write, size: batch.size, last: batch.last };
  };

  const writeBatch = async ({ write, size, last }: PreparedLoad): Promise<void> => {
    reporter.read(size, last);
    const written = await writeIsolating(store, write, source.name, retryOptions);
    reporter.persisted(written.persisted);
    reporter.rejected(written.letters);
    reporter.position = last ?? reporter.position;
    gate.release(size);
  };

  return startRun(
    reporter,
    (stop$) =>
      defer(async () => options.from ?? (options.incremental === false ? undefined : await store.readCheckpoint(stream))).pipe(
        switchMap((start) => processBatches(source, { ...(start ? { from: start } : {}), schema: options.schema, batchSize, batchMs, gate, stop$, prepare: prepareWrite, ...(options.commitAt ? { commitAt: options.commitAt } : {}) }, writeBatch)),
      ),
    options,
  );
}
