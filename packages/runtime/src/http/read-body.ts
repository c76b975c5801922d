/**
 * Reading a request body as a stream of decoded chunks, for any route that takes a body (JSON,
 * NDJSON, CSV uploads): the content type is checked before a byte is read, `Content-Encoding`
 * gzip, deflate and br are decoded with the size limit applied to the DECODED bytes (a small zip
 * bomb cannot expand past it), and a client that stops sending is timed out. Memory is one chunk:
 * the caller pulls the next chunk when it is ready for it, so a slow consumer slows the client.
 *
 * ```ts
 * const body = readBody(request.raw, { limit: 16 << 20, types: ['csv'] }); // throws HttpError 415/413
 * for await (const chunk of body) parser.push(chunk);                      // throws HttpError 413/408/400
 * ```
 */
import type { IncomingMessage } from 'node:http';
import type { Readable, Transform } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { requireBodyType, type BodyType } from './content-type.js';
import { HttpError } from '../errors.js';

/** The `Content-Encoding`s a body may have. */
export type BodyEncoding = 'identity' | 'gzip' | 'deflate' | 'br';

/** Options of {@link readBody}. */
export interface ReadBodyOptions {
  /** Most bytes of the decoded body; past it the read fails with 413. */
  limit: number;
  /** Content types the route takes (default JSON and NDJSON); any other is refused with 415. */
  types?: readonly BodyType[];
  /** Most ms to wait for the client's next bytes while the caller waits for them (default 15 000); then 408. */
  idleMs?: number;
  /** Most ms for the whole body, from the call (default: none; the server's request timeout still applies). */
  totalMs?: number;
}

/** A request body being read: its kind, its encoding, and its decoded chunks. */
export interface RequestBody extends AsyncIterable<Buffer> {
  /** The kind of body the `Content-Type` names. */
  readonly type: BodyType;
  /** The `Content-Encoding` being decoded. */
  readonly encoding: BodyEncoding;
  /** Decoded bytes handed out so far. */
  readonly bytes: number;
}

/** The encoding a `Content-Encoding` header names, or 415. */
export function bodyEncoding(header: string | undefined): BodyEncoding {
  const value = (header ?? '').trim().toLowerCase();
  if (value === '' || value === 'identity') return 'identity';
  if (value === 'gzip' || value === 'x-gzip') return 'gzip';
  if (value === 'deflate' || value === 'br') return value;
  throw new HttpError(415, `Content-Encoding ${JSON.stringify(header)} is not taken: send the body uncompressed, or compressed with one of gzip, deflate or br`, {
    close: true,
    headers: { 'accept-encoding': 'gzip, deflate, br' },
  });
}

function decoderOf(encoding: Exclude<BodyEncoding, 'identity'>): Transform {
  if (encoding === 'gzip') return createGunzip();
  if (encoding === 'deflate') return createInflate();
  return createBrotliDecompress();
}

/** 413 naming the limit. */
function tooLarge(limit: number, encoding: BodyEncoding): HttpError {
  const decoded = encoding === 'identity' ? '' : ' once decoded';
  return new HttpError(413, `the body is larger than ${limit} bytes${decoded}: send the records in smaller batches`, { close: true, fields: { limit } });
}

/**
 * Checks a request's body headers (`Content-Type`, `Content-Encoding`, `Content-Length`) and returns
 * its decoded chunks. Throws an {@link HttpError} at once for a wrong type (415), an unknown
 * encoding (415) or a declared length over the limit (413); iterating throws one for a body that
 * grows past the limit once decoded (413), a client silent for `idleMs` (408), or bytes that are
 * not valid gzip/deflate/br (400). After an error the rest of the body is not read: answer with
 * `Connection: close`.
 */
export function readBody(request: IncomingMessage, options: ReadBodyOptions): RequestBody {
  const { limit } = options;
  if (!Number.isSafeInteger(limit) || limit < 1) throw new RangeError(`readBody: limit must be a whole number of bytes ≥ 1, got ${limit}`);
  const type = requireBodyType(request.headers['content-type'], options.types ?? ['json', 'ndjson']);
  const encoding = bodyEncoding(request.headers['content-encoding']);
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) throw tooLarge(limit, 'identity');
  const idleMs = options.idleMs ?? 15_000;
  const deadline = options.totalMs === undefined ? Infinity : Date.now() + options.totalMs;
  let bytes = 0;
  let used = false;

  async function* chunks(): AsyncGenerator<Buffer> {
    if (used) throw new Error('readBody: a request body can be read once');
    used = true;
    let raw = 0;
    let source: Readable = request;
    let decoder: Transform | undefined;
    const countRaw = (chunk: Buffer) => {
      raw += chunk.length;
      if (raw > limit && decoder) decoder.destroy(tooLarge(limit, 'identity'));
    };
    if (encoding !== 'identity') {
      decoder = decoderOf(encoding);
      request.on('data', countRaw);
      request.pipe(decoder);
      source = decoder;
    }
    const iterator = source.iterator({ destroyOnReturn: false });
    try {
      for (;;) {
        const wait = Math.min(idleMs, deadline - Date.now());
        if (wait <= 0) throw new HttpError(408, `the body took longer than ${options.totalMs} ms: send it faster, or in smaller batches`, { close: true });
        let timer: NodeJS.Timeout | undefined;
        const timedOut = new Promise<never>((_, reject) => {
          timer = setTimeout(() => {
            const whole = Date.now() >= deadline;
            reject(
              new HttpError(
                408,
                whole ? `the body took longer than ${options.totalMs} ms: send it faster, or in smaller batches` : `no bytes of the body came for ${idleMs} ms: the request is dropped; send the whole body at once`,
                { close: true },
              ),
            );
          }, wait);
        });
        let next: IteratorResult<unknown>;
        try {
          next = await Promise.race([iterator.next(), timedOut]);
        } catch (error) {
          if (error instanceof HttpError) throw error;
          if (decoder && (error as { code?: string }).code?.startsWith('Z_')) {
            throw new HttpError(400, `the body is not valid ${encoding} (${(error as Error).message}): compress it with ${encoding}, or send it uncompressed`, { close: true, cause: error });
          }
          if (decoder && /brotli|decompress/i.test(String((error as Error).message))) {
            throw new HttpError(400, `the body is not valid ${encoding}: compress it with ${encoding}, or send it uncompressed`, { close: true, cause: error });
          }
          throw error;
        } finally {
          clearTimeout(timer);
        }
        if (next.done) return; // a client that goes away mid-body errors the stream ('aborted') instead
        const chunk = next.value as Buffer;
        bytes += chunk.length;
        if (bytes > limit) throw tooLarge(limit, encoding);
        yield chunk;
      }
    } finally {
      if (decoder) {
        request.off('data', countRaw);
        request.unpipe(decoder);
        decoder.destroy();
      }
    }
  }

  return {
    type,
    encoding,
    get bytes() {
      return bytes;
    },
    [Symbol.asyncIterator]: () => chunks(),
  };
}
