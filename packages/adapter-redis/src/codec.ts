/**
 * Envelope ↔ Redis stream entry. Pure: no I/O.
 *
 * An entry holds one field, `envelope`: `<timestamp>\n<headers>\n<value>\n<key>`, where timestamp
 * is decimal milliseconds, headers the JSON object of strings, value the JSON of the value, and
 * the key the rest of the text. JSON never holds a raw line feed, so the first three line feeds
 * split it, whatever the key holds. One field instead of four makes each `XADD`, each entry of a
 * read reply and each decode cheaper, on the client and in Redis.
 *
 * Entries of the earlier format, four fields `key`, `value` (JSON), `timestamp` and `headers`
 * (JSON), are still read, so producers and consumers of both versions can share a stream.
 */
import type { Envelope, Headers } from '@sluice/core';
import { EnvelopeEncodeError } from './errors.js';
import { decodeHeaders, encodeHeaders } from './headers-json.js';
import type { StreamEntry } from './replies.js';

/** Header set on an envelope whose stream entry could not be decoded as written by Sluice. */
export const DECODE_ERROR_HEADER = 'sluice-decode-error';

/** The one field of an entry written by Sluice. */
export const ENVELOPE_FIELD = 'envelope';

/**
 * The text of the `envelope` field of one envelope. Throws `EnvelopeEncodeError` naming the faulty
 * member when the envelope cannot survive the round trip (value not JSON-serialisable,
 * non-numeric timestamp…).
 */
export function encodeEnvelope(envelope: Envelope<unknown>): string {
  if (envelope === null || typeof envelope !== 'object') {
    throw new EnvelopeEncodeError(`the envelope is ${envelope === null ? 'null' : typeof envelope}, not an object`);
  }
  const { key, value, timestamp, headers } = envelope;
  if (typeof key !== 'string') throw new EnvelopeEncodeError(`key must be a string, got ${typeof key}`);
  if (typeof timestamp !== 'number' || !Number.isFinite(timestamp)) {
    throw new EnvelopeEncodeError(`timestamp must be a finite number of milliseconds, got ${String(timestamp)}`);
  }
  return `${timestamp}\n${encodeHeaders(headers)}\n${toJson(value)}\n${key}`;
}

/**
 * The envelope of a stream entry, in either format. Never throws: an entry not written by Sluice
 * (missing or malformed fields) is still delivered, with what could be read and a
 * `sluice-decode-error` header saying what was wrong, so the pipeline can dead-letter it instead
 * of losing it.
 */
export function decodeEntry(entry: StreamEntry): Envelope<unknown> {
  const { id, fields } = entry;
  // Fast path: the one field Sluice writes.
  const packed = fields.length === 2 && fields[0] === ENVELOPE_FIELD ? fields[1] : fieldOf(fields, ENVELOPE_FIELD);
  if (packed === undefined) {
    return assemble(id, fieldOf(fields, 'key'), fieldOf(fields, 'value'), fieldOf(fields, 'timestamp'), fieldOf(fields, 'headers'), fourFields);
  }
  const a = packed.indexOf('\n');
  const b = a < 0 ? -1 : packed.indexOf('\n', a + 1);
  const c = b < 0 ? -1 : packed.indexOf('\n', b + 1);
  if (c < 0) {
    const problem = `field "${ENVELOPE_FIELD}" is not <timestamp>, <headers>, <value> and <key> on lines of their own`;
    return { key: id, value: packed, timestamp: 0, headers: { [DECODE_ERROR_HEADER]: `stream entry ${id}: ${problem}` } };
  }
  return assemble(id, packed.slice(c + 1), packed.slice(b + 1, c), packed.slice(0, a), packed.slice(a + 1, b), onePacked);
}

/** How a problem names the part of an entry it is about. */
type PartName = (part: 'key' | 'value' | 'timestamp' | 'headers') => string;
const fourFields: PartName = (part) => `field "${part}"`;
const onePacked: PartName = (part) => `the ${part} in field "${ENVELOPE_FIELD}"`;

/** The envelope of an entry's parts (each `undefined` when missing), with the problems found. */
function assemble(
  id: string,
  key: string | undefined,
  valueText: string | undefined,
  timestampText: string | undefined,
  headersText: string | undefined,
  name: PartName,
): Envelope<unknown> {
  // Allocated only for an entry with problems.
  let problems: string[] | undefined;
  if (key === undefined) problems = note(problems, `${name('key')} is missing`);
  let value: unknown = null;
  if (valueText === undefined) problems = note(problems, `${name('value')} is missing`);
  else {
    try {
      value = JSON.parse(valueText);
    } catch {
      // A value that is not JSON is handed on as its raw text, so the dead letter shows it.
      problems = note(problems, `${name('value')} is not JSON`);
      value = valueText;
    }
  }
  const timestamp = timestampText === undefined ? Number.NaN : Number(timestampText);
  if (!Number.isFinite(timestamp)) problems = note(problems, `${name('timestamp')} is not a number: ${String(timestampText)}`);
  let headers: Headers = {};
  if (headersText === undefined) problems = note(problems, `${name('headers')} is missing`);
  else {
    const decoded = decodeHeaders(headersText);
    if (typeof decoded === 'string') problems = note(problems, `${name('headers')} ${decoded}`);
    else headers = decoded;
  }
  if (problems) headers[DECODE_ERROR_HEADER] = `stream entry ${id}: ${problems.join('; ')}`;
  return { key: key ?? id, value, timestamp: Number.isFinite(timestamp) ? timestamp : 0, headers };
}

/** `problems` (made if need be) with `problem` added. */
function note(problems: string[] | undefined, problem: string): string[] {
  const list = problems ?? [];
  list.push(problem);
  return list;
}

/** The value of field `name` in a flat `[field, value, …]` list. */
function fieldOf(fields: readonly string[], name: string): string | undefined {
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === name) return String(fields[i + 1]);
  return undefined;
}

function toJson(value: unknown): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (error) {
    throw new EnvelopeEncodeError(`value cannot be written as JSON: ${(error as Error).message}`);
  }
  if (text === undefined) throw new EnvelopeEncodeError(`value is ${typeof value}, which JSON cannot hold`);
  return text;
}
