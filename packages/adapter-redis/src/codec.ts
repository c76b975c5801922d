/**
 * Envelope ↔ Redis stream entry, and stream-id arithmetic. Pure: no I/O.
 *
 * An entry holds four fields: `key`, `value` (JSON), `timestamp` (decimal milliseconds) and
 * `headers` (JSON object of strings).
 */
import type { Envelope, Headers } from '@sluice/core';

/** Header set on an envelope whose stream entry could not be decoded as written by Sluice. */
export const DECODE_ERROR_HEADER = 'sluice-decode-error';

/** A stream entry as read back: its id and its fields. */
export interface StreamEntry {
  id: string;
  fields: Record<string, string>;
}

/** The stream fields of one envelope, all strings. */
export interface EntryFields {
  key: string;
  /** JSON of the value. */
  value: string;
  /** Decimal milliseconds since the epoch. */
  timestamp: string;
  /** JSON object of the headers. */
  headers: string;
  [field: string]: string;
}

/** Why an envelope cannot be written to a stream. */
export class EnvelopeEncodeError extends Error {}

/**
 * The stream fields of one envelope. Throws `EnvelopeEncodeError` naming the faulty member when
 * the envelope cannot survive the round trip (value not JSON-serialisable, non-numeric timestamp…).
 */
export function encodeEnvelope(envelope: Envelope<unknown>): EntryFields {
  if (envelope === null || typeof envelope !== 'object') {
    throw new EnvelopeEncodeError(`the envelope is ${envelope === null ? 'null' : typeof envelope}, not an object`);
  }
  const { key, value, timestamp, headers } = envelope;
  if (typeof key !== 'string') throw new EnvelopeEncodeError(`key must be a string, got ${typeof key}`);
  if (typeof timestamp !== 'number' || !Number.isFinite(timestamp)) {
    throw new EnvelopeEncodeError(`timestamp must be a finite number of milliseconds, got ${String(timestamp)}`);
  }
  return {
    key,
    value: toJson(value, 'value'),
    timestamp: String(timestamp),
    headers: toJson(checkHeaders(headers), 'headers'),
  };
}

/**
 * The envelope of a stream entry. Never throws: an entry not written by Sluice (missing or
 * malformed fields) is still delivered, with what could be read and a `sluice-decode-error`
 * header saying what was wrong, so the pipeline can dead-letter it instead of losing it.
 */
export function decodeEntry(entry: StreamEntry): Envelope<unknown> {
  const problems: string[] = [];
  const { fields } = entry;
  const key = typeof fields.key === 'string' ? fields.key : (problems.push('field "key" is missing'), entry.id);
  const before = problems.length;
  const parsedValue = parseField(fields.value, 'value', problems);
  // A value that is not JSON is handed on as its raw text, so the dead letter shows it.
  const value = problems.length > before ? (fields.value ?? null) : parsedValue;
  const timestamp = Number(fields.timestamp);
  if (fields.timestamp === undefined || !Number.isFinite(timestamp)) {
    problems.push(`field "timestamp" is not a number: ${String(fields.timestamp)}`);
  }
  const parsedHeaders = parseField(fields.headers, 'headers', problems);
  const headers: Headers = isHeaders(parsedHeaders) ? { ...parsedHeaders } : {};
  if (parsedHeaders !== undefined && !isHeaders(parsedHeaders)) {
    problems.push('field "headers" is not an object of strings');
  }
  if (problems.length > 0) headers[DECODE_ERROR_HEADER] = `stream entry ${entry.id}: ${problems.join('; ')}`;
  return { key, value, timestamp: Number.isFinite(timestamp) ? timestamp : 0, headers };
}

/**
 * Entries of a raw RESP2 stream reply: `[[id, [field, value, …]], …]`. Entries deleted from the
 * stream but still pending come back as `[id, null]`; they are returned in `deleted`.
 */
export function parseEntries(raw: unknown): { entries: StreamEntry[]; deleted: string[] } {
  const entries: StreamEntry[] = [];
  const deleted: string[] = [];
  if (!Array.isArray(raw)) return { entries, deleted };
  for (const item of raw) {
    if (!Array.isArray(item) || typeof item[0] !== 'string') continue;
    const [id, flat] = item as [string, unknown];
    if (!Array.isArray(flat)) {
      deleted.push(id);
      continue;
    }
    const fields: Record<string, string> = {};
    for (let i = 0; i + 1 < flat.length; i += 2) fields[String(flat[i])] = String(flat[i + 1]);
    entries.push({ id, fields });
  }
  return { entries, deleted };
}

/**
 * Entries of a raw RESP2 `XREADGROUP` reply for one stream: `[[name, [[id, fields], …]]]`, or
 * `null` when the read timed out.
 */
export function parseReadReply(raw: unknown): { entries: StreamEntry[]; deleted: string[] } {
  if (!Array.isArray(raw) || raw.length === 0) return { entries: [], deleted: [] };
  const [stream] = raw as [unknown];
  return parseEntries(Array.isArray(stream) ? stream[1] : undefined);
}

/** A parsed stream id `ms-seq`. */
export interface StreamId {
  ms: bigint;
  seq: bigint;
}

/** Parses `ms-seq` (or bare `ms`); throws on anything else. */
export function parseStreamId(id: string): StreamId {
  const match = /^(\d+)(?:-(\d+))?$/.exec(id);
  if (!match) throw new Error(`"${id}" is not a Redis stream id (expected <ms>-<seq>)`);
  return { ms: BigInt(match[1]!), seq: BigInt(match[2] ?? '0') };
}

/** Negative, zero or positive as `a` is lower than, equal to or higher than `b`. */
export function compareStreamIds(a: string, b: string): number {
  const x = parseStreamId(a);
  const y = parseStreamId(b);
  if (x.ms !== y.ms) return x.ms < y.ms ? -1 : 1;
  return x.seq === y.seq ? 0 : x.seq < y.seq ? -1 : 1;
}

/** The smallest id greater than `id`. */
export function nextStreamId(id: string): string {
  const { ms, seq } = parseStreamId(id);
  return seq === 0xffff_ffff_ffff_ffffn ? `${ms + 1n}-0` : `${ms}-${seq + 1n}`;
}

function toJson(value: unknown, member: string): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (error) {
    throw new EnvelopeEncodeError(`${member} cannot be written as JSON: ${(error as Error).message}`);
  }
  if (text === undefined) throw new EnvelopeEncodeError(`${member} is ${typeof value}, which JSON cannot hold`);
  return text;
}

function checkHeaders(headers: unknown): Headers {
  if (headers === undefined) return {};
  if (!isHeaders(headers)) throw new EnvelopeEncodeError('headers must be an object whose values are strings');
  return headers;
}

function isHeaders(value: unknown): value is Headers {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.values(value).every((v) => typeof v === 'string')
  );
}

/** The parsed JSON of a field, or `undefined` (with the problem noted) when missing or not JSON. */
function parseField(text: string | undefined, name: string, problems: string[]): unknown {
  if (text === undefined) {
    problems.push(`field "${name}" is missing`);
    return undefined;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    problems.push(`field "${name}" is not JSON`);
    return undefined;
  }
}
