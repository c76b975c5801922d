/**
 * Writes a batch; when the store refuses it for a non-retriable reason, bisects to find the rows
 * it refuses and sends only those to the dead letters, so one bad row never blocks the rest.
 */
import { describeError, isRetriable } from '../errors.js';
import { retry, type RetryOptions } from '../retry.js';
import type { DeadLetter, Row, Store, WriteBatch } from '../types.js';
import { deadLetter } from './dead-letters.js';

/** Retry settings for store writes (the operation name is filled in here). */
export type WriteRetry = Omit<RetryOptions, 'operation'>;

/** What `writeIsolating` did. */
export interface IsolatedWrite {
  /** Rows committed. */
  persisted: number;
  /** Every dead letter committed: the batch's own plus the rows the store refused. */
  letters: DeadLetter[];
}

type Write = (batch: WriteBatch) => Promise<unknown>;
type Refused = { row: Row; error: unknown };

/**
 * Writes `batch` (rows, dead letters and checkpoint in one transaction). Retriable failures are
 * retried with backoff and, past the budget, thrown: the caller must not ack. After a
 * non-retriable failure the rows are written in halves, recursively; the rows refused alone
 * become dead letters, committed with the batch's own letters and its checkpoint after every
 * accepted row. When the store refuses every row of a multi-row batch, the failure is not about
 * the data (a missing table, say): nothing was written, and the original error is rethrown.
 */
export async function writeIsolating(store: Store, batch: WriteBatch, origin: string, options: WriteRetry): Promise<IsolatedWrite> {
  const write: Write = (b) => retry(() => store.write(b), { ...options, operation: `write to ${b.table ?? 'dead letters'}` });
  try {
    await write(batch);
    return { persisted: batch.rows.length, letters: [...(batch.deadLetters ?? [])] };
  } catch (error) {
    if (isRetriable(error) || batch.rows.length === 0) throw error;
    const refused = await isolate(batch, batch.rows, write);
    if (refused.length === batch.rows.length && batch.rows.length > 1) throw error;
    const letters = [
      ...(batch.deadLetters ?? []),
      ...refused.map((r) => deadLetter(origin, `store refused the row: ${describeError(r.error)}`, r.row)),
    ];
    await write({ rows: [], deadLetters: letters, ...(batch.checkpoint ? { checkpoint: batch.checkpoint } : {}) });
    return { persisted: batch.rows.length - refused.length, letters };
  }
}

/** Writes `rows` of the batch's table; on refusal splits them in two and recurses. */
async function isolate(batch: WriteBatch, rows: readonly Row[], write: Write): Promise<Refused[]> {
  try {
    await write({ table: batch.table, rows, ...(batch.mode ? { mode: batch.mode } : {}) });
    return [];
  } catch (error) {
    if (isRetriable(error)) throw error;
    if (rows.length === 1) return [{ row: rows[0]!, error }];
    const mid = Math.ceil(rows.length / 2);
    return [...(await isolate(batch, rows.slice(0, mid), write)), ...(await isolate(batch, rows.slice(mid), write))];
  }
}
