/** Source → validated batches, with backpressure through a flow gate. */
import { EMPTY, Observable, bufferTime, catchError, concat, concatMap, defer, filter, from, map, mergeMap, takeUntil, throwError } from 'rxjs';
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
  /**
   * Commit points: when set, a batch closes only right after an item whose position this returns
   * true for (e.g. `isFileEnd`, the last item of a file), once `batchSize` or `batchMs` is reached,
   * so the records between two commit points (a file) never split across two writes. The open
   * batch is not counted by the gate until it closes (a unit larger than `maxBuffered` would
   * otherwise stall the source for ever): memory holds the open unit plus what the gate allows.
   * Items read after the last commit point when the source ends, fails or is stopped are not
   * processed (they are released): a resume reads them again from the last committed position.
   */
  commitAt?: (position: Position) => boolean;
  /**
   * Batches in `process` at once (default 1: one at a time, in order). Above 1, batches still start
   * in order, but a later one may finish first: `process` must order what depends on that itself.
   */
  concurrency?: number;
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
  if (record.kind === 'reject') return { letter: deadLetter(origin, record.reason, record.bytes ?? record.raw, { position }) };
  if (!schema) return record as Accepted<T>;
  const parsed = schema.safeParse(record.value);
  if (parsed.success) return { value: parsed.data, position };
  // The record's exact bytes where the source kept them, else its parsed value.
  return { letter: deadLetter(origin, `invalid record: ${formatIssues(parsed.error).join('; ')}`, record.raw ?? record.value, { position }) };
}

/**
 * Reads the source from `from`, validates, groups records into batches that close on `batchSize`
 * or `batchMs`, and runs `process` on each batch, one at a time, in order (or `concurrency` at a
 * time). `options.prepare` runs on each
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
  const { gate, commitAt } = options;
  const prepare = options.prepare ?? ((batch: SourceBatch<T>) => batch as P);
  let failure: { error: unknown } | undefined;
  const records$ = source.read(options.from, { flow: gate }).pipe(
    takeUntil(options.stop$),
    catchError((error: unknown) => {
      failure = { error };
      return EMPTY; // completes the stream, so bufferTime flushes the open batch
    }),
  );
  const validate = (record: SourceRecord<unknown>) => validateSourceRecord(source.name, record, options.schema);
  const items$ = commitAt
    ? records$.pipe(bufferToCommitPoints(commitAt, validate, options.batchSize, options.batchMs, gate))
    : records$.pipe(
        map((record) => {
          gate.take(1);
          return validate(record);
        }),
        bufferTime(options.batchMs, null, options.batchSize),
      );
  const batches$ = items$.pipe(
    filter((items) => items.length > 0),
    map((items) => prepare(toBatch(items))),
  );
  return concat(
    (options.concurrency ?? 1) > 1
      ? batches$.pipe(mergeMap((prepared) => from(process(prepared)), options.concurrency))
      : batches$.pipe(concatMap((prepared) => from(process(prepared)))),
    defer(() => (failure ? throwError(() => failure!.error) : EMPTY)),
  );
}

/**
 * Groups source records into batches that close only after a commit point (see
 * `ReadBatchesOptions.commitAt`), once `batchSize` records are held or `batchMs` has passed since
 * the batch opened. A batch is `take`n from the gate when it closes. Records after the last commit
 * point are dropped (and were never taken) when the source completes.
 */
function bufferToCommitPoints<T>(
  commitAt: (position: Position) => boolean,
  validate: (record: SourceRecord<unknown>) => Item<T>,
  batchSize: number,
  batchMs: number,
  gate: FlowGate,
): (records$: Observable<SourceRecord<unknown>>) => Observable<Item<T>[]> {
  return (records$) =>
    new Observable<Item<T>[]>((subscriber) => {
      let open: Item<T>[] = [];
      /** How many items of `open` end at a commit point (a prefix that may close). */
      let closable = 0;
      let due = false;
      let timer: NodeJS.Timeout | undefined;
      const flush = () => {
        const batch = closable === open.length ? open : open.slice(0, closable);
        open = closable === open.length ? [] : open.slice(closable);
        closable = 0;
        due = false;
        clearTimeout(timer);
        timer = undefined;
        if (open.length > 0) arm();
        gate.take(batch.length);
        subscriber.next(batch);
      };
      const arm = () => {
        timer = setTimeout(() => {
          timer = undefined;
          if (closable > 0) flush();
          else due = true;
        }, batchMs);
      };
      const subscription = records$.subscribe({
        next: (record) => {
          if (open.length === 0 && timer === undefined) arm();
          open.push(validate(record));
          if (!commitAt(record.position)) return;
          closable = open.length;
          if (due || open.length >= batchSize) flush();
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => {
          if (closable > 0) flush();
          clearTimeout(timer);
          open = [];
          subscriber.complete();
        },
      });
      return () => {
        clearTimeout(timer);
        subscription.unsubscribe();
      };
    });
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
