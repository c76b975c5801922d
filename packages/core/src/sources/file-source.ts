/**
 * What the JSON-array, NDJSON and CSV sources share: options, the chunked read of the file, the
 * carry of a record cut by a chunk boundary into the next chunk, and resuming at a byte offset.
 * A format only supplies a {@link ChunkParser}.
 */
import { basename } from 'node:path';
import { ConfigError, SourceError } from '../errors.js';
import type { Position, ReadOptions, Source, SourceRecord } from '../types.js';
import { chunkedObservable, type ChunkProducer } from './chunked-observable.js';
import { openSourceFile, type SourceFile } from './source-file.js';

/** Options every file source takes. */
export interface FileSourceOptions {
  /** Path of the file to read. */
  path: string;
  /** Stable source name (checkpoint stream id); defaults to the file's base name. */
  name?: string;
  /** Bytes read per chunk, and so the most records emitted between two flow checks (default 64 KiB). */
  chunkSize?: number;
  /**
   * Largest single record, in bytes, the source holds in memory (default 64 MiB). A larger one —
   * usually an unterminated string or quote — fails the read instead of exhausting memory.
   */
  maxRecordBytes?: number;
}

/**
 * Turns the bytes of a file into records. The file source hands it a window — the bytes it did not
 * consume last time followed by the next chunk — and the window's absolute file offset.
 */
export interface ChunkParser<T> {
  /** Parses what is complete in `window` into `out`; returns how many leading bytes it is done with. */
  parse(window: Buffer, windowOffset: number, out: SourceRecord<T>[]): number;
  /** At the end of the file: handles the unconsumed `rest` (a last record without terminator, a cut tail). */
  finish(rest: Buffer, restOffset: number, out: SourceRecord<T>[]): void;
  /** True once the parser wants no more input (e.g. the content is not a JSON array at all). */
  readonly stopped?: boolean;
  /** An offset to continue reading at instead of the next chunk (CSV: after the header, to resume); asked once per parse. */
  takeSeek?(): number | undefined;
}

/** Where a format starts reading and the parser it reads with. */
export interface ParserStart<T> {
  /** Absolute byte offset of the first chunk. */
  offset: number;
  parser: ChunkParser<T>;
}

/**
 * Default bytes per chunk: 64 KiB. Parsing a chunk is one synchronous stretch of the event loop,
 * and the store's write in flight waits through it for its next round trip: at 256 KiB (about
 * 5 ms of CSV parsing) that held a 10,000-row PostgreSQL write at 100 ms instead of 85 ms.
 */
export const DEFAULT_CHUNK_SIZE = 64 * 1024;
/** Default largest record: 64 MiB. */
export const DEFAULT_MAX_RECORD_BYTES = 64 << 20;
const EMPTY = Buffer.alloc(0);

/**
 * A `Source<T>` over the file `options.path` read through the parser `begin` returns for each read.
 * `begin` gets the position to resume after (only when it has an `offset`) and the source name.
 * `format` (e.g. `JSON array`) names the format in errors.
 */
export function fileSource<T>(
  format: string,
  options: FileSourceOptions,
  begin: (file: SourceFile, resume: Position | undefined, name: string) => ParserStart<T>,
): Source<T> {
  const name = options.name ?? basename(options.path);
  const chunkSize = wholeNumber(options.chunkSize ?? DEFAULT_CHUNK_SIZE, 'chunkSize', 16);
  const maxRecordBytes = wholeNumber(options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES, 'maxRecordBytes', 1);

  const openProducer = async (from: Position | undefined): Promise<ChunkProducer<T>> => {
    const file = await openSourceFile(options.path, name);
    const checkOffset = (offset: number): number => {
      if (!Number.isSafeInteger(offset) || offset < 0 || offset > file.size) {
        throw new SourceError(
          `Source "${name}" cannot resume at byte ${offset} of ${options.path}: the ${format} file has ${file.size} bytes. ` +
            'The file was truncated or replaced since the checkpoint was taken; reset the checkpoint to read it from the start.',
          name,
        );
      }
      return Math.max(offset, file.contentStart);
    };
    let start: ParserStart<T>;
    try {
      // A position without a byte offset says nothing about where to go on in a file: start over.
      start = begin(file, from?.offset === undefined ? undefined : from, name);
      start.offset = checkOffset(start.offset);
    } catch (error) {
      await file.close();
      throw error;
    }
    const { parser } = start;
    const chunk = Buffer.allocUnsafe(chunkSize);
    let readAt = start.offset;
    let carry = EMPTY;
    let carryOffset = start.offset;
    let ended = false;
    let oversized: SourceError | undefined;
    return {
      close: () => file.close(),
      next: async () => {
        if (oversized) throw oversized;
        if (ended || parser.stopped) return undefined;
        const out: SourceRecord<T>[] = [];
        // While a record longer than a chunk is pending, read as much again as is carried (but not
        // past maxRecordBytes): the window doubles each time, so a record of n bytes costs O(n)
        // copying and rescanning in O(log n) parses, not n / chunkSize of them over ever longer windows.
        const grow = Math.min(carry.length, maxRecordBytes + 1 - carry.length);
        const buffer = grow <= chunkSize ? chunk : Buffer.allocUnsafe(grow);
        const bytesRead = await file.read(buffer, readAt);
        if (bytesRead === 0) {
          ended = true;
          parser.finish(carry, carryOffset, out);
          carry = EMPTY;
          return out;
        }
        readAt += bytesRead;
        const fresh = buffer.subarray(0, bytesRead);
        const window = carry.length === 0 ? fresh : Buffer.concat([carry, fresh]);
        const consumed = parser.parse(window, carryOffset, out);
        const rest = window.subarray(consumed);
        // The chunk buffer is reused for the next read, so bytes kept from it must be copied.
        carry = window === fresh ? Buffer.from(rest) : rest;
        carryOffset += consumed;
        const seek = parser.takeSeek?.();
        if (seek !== undefined) {
          readAt = carryOffset = checkOffset(seek);
          carry = EMPTY;
        }
        if (carry.length > maxRecordBytes) {
          // Fails on the next call, so that the records before the oversized one are emitted first.
          oversized = new SourceError(
            `Source "${name}": the record starting at byte ${carryOffset} of ${options.path} is longer than maxRecordBytes (${maxRecordBytes}). ` +
              `The ${format} file is probably malformed there (an unterminated string or quote); fix it, or raise maxRecordBytes if records really are that large.`,
            name,
          );
        }
        return out;
      },
    };
  };

  return {
    name,
    read: (from?: Position, readOptions?: ReadOptions) => chunkedObservable(name, () => openProducer(from), readOptions?.flow),
  };
}

/** `value` when it is a whole number of at least `min`; otherwise a `ConfigError` naming `option`. */
export function wholeNumber(value: number, option: string, min: number): number {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new ConfigError(`${option} must be a whole number of at least ${min}, got ${value}.`, option);
  }
  return value;
}
