/** A source of deterministic records made from their index: for tests, demos and benchmarks. */
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Position, ReadOptions, Source, SourceRecord } from '../types.js';
import { chunkedObservable } from './chunked-observable.js';
import { wholeNumber } from './file-source.js';
import { rejectOf } from './reject.js';

/** Options of {@link generatorSource}. */
export interface GeneratorSourceOptions<T> {
  /** Stable source name (checkpoint stream id). */
  name: string;
  /** How many records in all; endless when absent. */
  count?: number;
  /** Makes record `index` (0-based); must depend on the index alone so a resume yields the same records. */
  make: (index: number) => T;
  /** Records made per chunk, between two flow checks and event-loop turns (default 1024). */
  chunkSize?: number;
}

/**
 * Yields `make(0)`, `make(1)`, … (up to `count`) with position `{ index }`; `read(position)` goes on
 * at `position.index + 1`. It gives the event loop a turn between chunks and honours flow control.
 * A `make` that throws yields a reject for that index and the next index follows.
 */
export function generatorSource<T>(options: GeneratorSourceOptions<T>): Source<T> {
  const { name, make } = options;
  const count = options.count === undefined ? Number.POSITIVE_INFINITY : wholeNumber(options.count, 'count', 0);
  const chunkSize = wholeNumber(options.chunkSize ?? 1024, 'chunkSize', 1);
  return {
    name,
    read: (from?: Position, readOptions?: ReadOptions) =>
      chunkedObservable<T>(
        name,
        async () => {
          let next = (from?.index ?? -1) + 1;
          return {
            close: async () => undefined,
            next: async () => {
              if (next >= count) return undefined;
              await nextTurn();
              const end = Math.min(count, next + chunkSize);
              const records: SourceRecord<T>[] = [];
              for (; next < end; next++) records.push(makeRecord(make, next));
              return records;
            },
          };
        },
        readOptions?.flow,
      ),
  };
}

/** Record `index`, or a reject when `make` throws for it. */
function makeRecord<T>(make: (index: number) => T, index: number): SourceRecord<T> {
  const position = { index };
  try {
    return { kind: 'record', value: make(index), position };
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    return rejectOf(`make(${index}) threw: ${detail}; fix the generator's make function`, String(index), position);
  }
}
