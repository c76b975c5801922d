/**
 * A source over a streaming HTTP endpoint that answers NDJSON, resumable with `?since=<index>`
 * (the index of the last record already read). Lines of the form `{"$reject":{reason,raw}}` are
 * rejects the server found in its own input; `{"$error":"…"}` ends the stream with an error.
 */
import { SourceError } from '../errors.js';
import { chunkedObservable, type ChunkProducer } from '../sources/chunked-observable.js';
import { DEFAULT_MAX_RECORD_BYTES, wholeNumber } from '../sources/file-source.js';
import { rejectOf } from '../sources/reject.js';
import type { Position, ReadOptions, Source, SourceRecord } from '../types.js';
import { BodyLines } from './body-lines.js';

/** Options of {@link httpSource}. */
export interface HttpSourceOptions {
  /** The endpoint, e.g. `http://127.0.0.1:8080/metrics`. */
  url: string;
  /** Source name (checkpoint stream id); default: the URL. */
  name?: string;
  /** Extra request headers (e.g. authorization). */
  headers?: Record<string, string>;
  /**
   * Longest line, in bytes, the source holds in memory (default 64 MiB, as the file sources). A
   * longer one — usually a stream that never sends its newline — fails the read instead of
   * exhausting memory.
   */
  maxRecordBytes?: number;
}

/** A record, a reject sent by the server, or the server's error. */
function unwrap<T>(record: SourceRecord<T>, url: string, name: string): SourceRecord<T> {
  if (record.kind !== 'record' || typeof record.value !== 'object' || record.value === null) return record;
  const value = record.value as { $reject?: { reason?: unknown; raw?: unknown }; $error?: unknown };
  if (value.$error !== undefined) throw new SourceError(`${url} ended its stream with an error: ${String(value.$error)}`, name, { retriable: true });
  if (value.$reject === undefined) return record;
  return rejectOf(String(value.$reject.reason ?? 'rejected by the server'), String(value.$reject.raw ?? ''), record.position);
}

/** Opens the stream after `since` and parses its body as it arrives; lines hold at most `maxRecordBytes`. */
async function openStream<T>(options: HttpSourceOptions, name: string, since: number, maxRecordBytes: number): Promise<ChunkProducer<T>> {
  const url = new URL(options.url);
  if (since >= 0) url.searchParams.set('since', String(since));
  const controller = new AbortController();
  let response: Response;
  try {
    response = await fetch(url, { headers: { accept: 'application/x-ndjson', ...options.headers }, signal: controller.signal });
  } catch (error) {
    throw new SourceError(`cannot reach ${url.href}: ${(error as Error).message}; check that the API is running`, name, { retriable: true, cause: error });
  }
  if (!response.ok || !response.body) {
    const body = (await response.text().catch(() => '')).slice(0, 300);
    throw new SourceError(`${url.href} answered ${response.status} ${response.statusText}: ${body}`, name, { retriable: response.status >= 500 });
  }
  const reader = response.body.getReader();
  const lines = new BodyLines<T>(since + 1, maxRecordBytes);
  let ended = false;
  return {
    close: async () => controller.abort(),
    next: async () => {
      if (ended) return undefined;
      // Checked before reading on, so that the records before the long line were emitted first.
      const oversizedAt = lines.oversizedAt;
      if (oversizedAt !== undefined) {
        throw new SourceError(
          `the line starting at byte ${oversizedAt} of the stream from ${url.href} is longer than maxRecordBytes (${maxRecordBytes}) and has no end yet. ` +
            'The stream is probably malformed there (a line never ended); fix the server, or raise maxRecordBytes if records really are that large.',
          name,
        );
      }
      const out: SourceRecord<T>[] = [];
      let chunk: Awaited<ReturnType<typeof reader.read>>;
      try {
        chunk = await reader.read();
      } catch (error) {
        throw new SourceError(`the stream from ${url.href} broke off: ${(error as Error).message}; resume from the last position`, name, { retriable: true, cause: error });
      }
      if (chunk.done) {
        ended = true;
        lines.end(out);
      } else {
        const { buffer, byteOffset, byteLength } = chunk.value;
        lines.push(Buffer.from(buffer, byteOffset, byteLength), out);
      }
      return out.map((r) => unwrap(r, url.href, name));
    },
  };
}

/**
 * Reads an NDJSON HTTP stream; a leading byte order mark is skipped, and a line that is not valid
 * UTF-8 or not valid JSON becomes a reject. Positions are `{ index, cursor }`, the cursor being the record's
 * index as the server counts it; `read(position)` asks for `?since=<index>`.
 */
export function httpSource<T = unknown>(options: HttpSourceOptions): Source<T> {
  const name = options.name ?? options.url;
  const maxRecordBytes = wholeNumber(options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES, 'maxRecordBytes', 1);
  return {
    name,
    read: (from?: Position, readOptions?: ReadOptions) =>
      chunkedObservable<T>(name, () => openStream<T>(options, name, from?.index ?? -1, maxRecordBytes), readOptions?.flow),
  };
}
