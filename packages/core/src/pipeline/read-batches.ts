/** Source → validated batches, with backpressure through a flow gate. */
import { EMPTY, bufferTime, catchError, concat, concatMap, defer, filter, from, map, takeUntil, throwError, type Observable } from 'rxjs';
import type { ZodType } from 'zod';
import { formatIssues } from '../schemas/validate.js';
import type { DeadLetter, Position, Source, SourceRecord } from '../types.js';
import { deadLetter } from './dead-letters.js';
import type { FlowGate } from './flow-gate.js';

/** A record that passed validation, with where it came from. */
export interface Accepted<T> {
  value: T;
  position: Position;
}

/** What one batch of source records turned into. */
export interface SourceBatch<T> {
  accepted: Accepted<T>[];
  letters: DeadLetter[];
  /** Records in the batch (accepted + rejected); what to release from the gate. */
  size: number;
  /** Position of the batch's last record: the checkpoint that covers it. */
  last: Position | undefined;
}

/** How `readBatches` reads. */
export interface ReadBatchesOptions<T> {
  from?: Position;
  schema?: ZodType<T>;
  batchSize: number;
  batchMs: number;
  gate: FlowGate;
  stop$: Observable<void>;
}

/** A validated record: accepted (a source record is its own `Accepted` when no schema changes it) or a dead letter. */
type Item<T> = Accepted<T> | { letter: DeadLetter };

/**
 * Validates one source record: source rejects and schema failures become dead letters. Without a
 * schema an accepted record is the source record itself (it has `value` and `position`), so the
 * hot path allocates nothing per record.
 */
export function validateSourceRecord<T>(origin: string, record: SourceRecord<unknown>, schema?: ZodType<T>): Item<T> {
  const { position } = record;
  if (record.kind === 'reject') return { letter: deadLetter(origin, record.reason, record.raw, { position }) };
  if (!schema) return record as Accepted<T>;
  const parsed = schema.safeParse(record.value);
  if (parsed.success) return { value: parsed.data, position };
  return { letter: deadLetter(origin, `invalid record: ${formatIssues(parsed.error).join('; ')}`, record.value, { position }) };
}

/**
 * Reads the source from `from`, validates, groups records into batches that close on `batchSize`
 * or `batchMs`, and runs `process` on each batch, one at a time, in order. `options.prepare` runs on each
 * batch as soon as it closes, while earlier batches may still be in `process`: the CPU work of
 * batch k + 1 (mapping, encoding) overlaps the I/O of batch k. Stops reading when `stop$` emits
 * and processes the partial batch. When the source fails, the records read before the failure
 * are still batched and processed, and only then does the observable error.
 * Every record is `take`n from the gate here; `process` must `release` `batch.size` when done.
 */
export function processBatches<T, P = SourceBatch<T>>(
  source: Source<unknown>,
  options: ReadBatchesOptions<T> & { prepare?: (batch: SourceBatch<T>) => P },
  process: (prepared: P) => Promise<void>,
): Observable<void> {
  const { gate } = options;
  const prepare = options.prepare ?? ((batch: SourceBatch<T>) => batch as P);
  let failure: { error: unknown } | undefined;
  const batches$ = source.read(options.from, { flow: gate }).pipe(
    takeUntil(options.stop$),
    catchError((error: unknown) => {
      failure = { error };
      return EMPTY; // completes the stream, so bufferTime flushes the open batch
    }),
    map((record) => {
      gate.take(1);
      return validateSourceRecord(source.name, record, options.schema);
    }),
    bufferTime(options.batchMs, null, options.batchSize),
    filter((items) => items.length > 0),
    map((items) => prepare(toBatch(items))),
  );
  return concat(
    batches$.pipe(concatMap((prepared) => from(process(prepared)))),
    defer(() => (failure ? throwError(() => failure!.error) : EMPTY)),
  );
}

/** Splits validated items into a batch. */
function toBatch<T>(items: readonly Item<T>[]): SourceBatch<T> {
  const batch: SourceBatch<T> = { accepted: [], letters: [], size: items.length, last: undefined };
  for (const item of items) {
    if ('letter' in item) {
      batch.letters.push(item.letter);
      batch.last = item.letter.position ?? batch.last;
    } else {
      batch.accepted.push(item);
      batch.last = item.position;
    }
  }
  return batch;
}
