/**
 * The one read loop every built-in source runs: pull a chunk of records, wait for the downstream's
 * flow control, emit the chunk, repeat — until the end, an error, or unsubscription.
 */
import { Observable } from 'rxjs';
import { SluiceError, SourceError, describeError } from '../errors.js';
import type { FlowControl, SourceRecord } from '../types.js';

/** Produces a source's records a chunk at a time; opened anew for each subscription. */
export interface ChunkProducer<T> {
  /** The records of the next chunk (possibly none), or `undefined` once the source has ended. */
  next(): Promise<readonly SourceRecord<T>[] | undefined>;
  /** Releases what the producer holds (file handles). Called exactly once, however reading ended. */
  close(): Promise<void>;
}

/**
 * A cold observable over the chunks of `open()`. Between chunks it calls `flow.ready()` and emits
 * nothing while the returned promise is pending. Unsubscribing stops the loop (also while it waits
 * for the flow) and closes the producer. Failures reach the subscriber as a `SourceError`.
 */
export function chunkedObservable<T>(
  sourceName: string,
  open: () => Promise<ChunkProducer<T>>,
  flow?: FlowControl,
): Observable<SourceRecord<T>> {
  return new Observable<SourceRecord<T>>((subscriber) => {
    let stop: () => void = () => undefined;
    const stopped = new Promise<void>((resolve) => (stop = resolve));
    const pump = async (): Promise<void> => {
      let producer: ChunkProducer<T> | undefined;
      let ended = false;
      let failure: SluiceError | undefined;
      try {
        producer = await open();
        while (!subscriber.closed) {
          const records = await producer.next();
          if (records === undefined) {
            ended = true;
            break;
          }
          if (records.length === 0 || subscriber.closed) continue;
          const wait = flow?.ready();
          if (wait) await Promise.race([wait, stopped]);
          for (const record of records) {
            if (subscriber.closed) break;
            subscriber.next(record);
          }
        }
      } catch (error) {
        failure = asSourceError(error, sourceName);
      }
      // Release the input before telling the subscriber: when it hears of the end, the file is closed.
      await producer?.close().catch(() => undefined);
      if (failure) subscriber.error(failure);
      else if (ended) subscriber.complete();
    };
    void pump();
    return () => stop();
  });
}

/** `error` as a Sluice error: Sluice errors pass through, anything else is wrapped in a `SourceError`. */
export function asSourceError(error: unknown, sourceName: string): SluiceError {
  if (error instanceof SluiceError) return error;
  return new SourceError(
    `Source "${sourceName}" failed while reading: ${describeError(error)}. This is not a problem of the input; report it with this message.`,
    sourceName,
    { cause: error },
  );
}
