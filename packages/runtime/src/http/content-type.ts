/**
 * Content types a body-carrying route takes. Requiring one of them refuses a browser's "simple"
 * cross-origin POST (text/plain, a form): a page cannot send `application/json` to another origin
 * without a CORS preflight, which a Sluice server never grants. Pure.
 */
import { HttpError } from '../errors.js';

/** The kinds of body a route may take. */
export type BodyType = 'json' | 'ndjson' | 'csv';

/** Media types of each kind (lower case, without parameters). */
export const bodyMediaTypes: Readonly<Record<BodyType, readonly string[]>> = {
  json: ['application/json'],
  ndjson: ['application/x-ndjson', 'application/ndjson', 'application/jsonl', 'application/x-jsonlines', 'application/jsonlines'],
  csv: ['text/csv', 'application/csv'],
};

/** A parsed `Content-Type`: the media type in lower case and the charset, when given. */
export function parseContentType(header: string | undefined): { mediaType: string; charset?: string } | undefined {
  if (header === undefined) return undefined;
  const [type, ...params] = header.split(';');
  const mediaType = type!.trim().toLowerCase();
  if (mediaType === '') return undefined;
  let charset: string | undefined;
  for (const param of params) {
    const eq = param.indexOf('=');
    if (eq < 0) continue;
    if (param.slice(0, eq).trim().toLowerCase() === 'charset') charset = param.slice(eq + 1).trim().replace(/^"|"$/g, '').toLowerCase();
  }
  return charset === undefined ? { mediaType } : { mediaType, charset };
}

/** The kind of body `header` names among `types` (`+json` suffixes count as JSON), or undefined. */
export function bodyTypeOf(header: string | undefined, types: readonly BodyType[]): BodyType | undefined {
  const parsed = parseContentType(header);
  if (!parsed) return undefined;
  for (const type of types) {
    if (bodyMediaTypes[type].includes(parsed.mediaType)) return type;
    if (type === 'json' && /^application\/[\w.-]+\+json$/.test(parsed.mediaType)) return type;
  }
  return undefined;
}

/** What to send, for messages: `application/json or application/x-ndjson`. */
export function describeTypes(types: readonly BodyType[]): string {
  const names = types.map((type) => bodyMediaTypes[type][0]!);
  return names.length <= 1 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]!}`;
}

/**
 * The body kind of a request, or an `HttpError` 415 when its `Content-Type` is missing, not one of
 * `types`, or names a charset other than UTF-8.
 */
export function requireBodyType(header: string | undefined, types: readonly BodyType[]): BodyType {
  const parsed = parseContentType(header);
  const wanted = describeTypes(types);
  if (!parsed) throw new HttpError(415, `the request has no Content-Type: send the body as ${wanted}`, { close: true });
  const type = bodyTypeOf(header, types);
  if (!type) throw new HttpError(415, `Content-Type ${parsed.mediaType} is not taken here: send the body as ${wanted}`, { close: true });
  if (parsed.charset !== undefined && parsed.charset !== 'utf-8' && parsed.charset !== 'utf8') {
    throw new HttpError(415, `charset ${parsed.charset} is not taken: send the body as ${wanted} in UTF-8`, { close: true });
  }
  return type;
}
