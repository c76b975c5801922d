/**
 * Envelope ↔ Kafka record. Pure: no I/O.
 *
 * A record carries the envelope's key as its key, `JSON.stringify(value)` as its value, the
 * envelope's headers as record headers and its timestamp, exactly, in the `sluice-timestamp`
 * header. Kafka's own record timestamp is the time of the publish, not the envelope's: a broker
 * deletes a topic's closed segments once their newest record timestamp is older than the topic's
 * retention (`log.retention.hours`, 7 days by default), so records stamped with the event time of
 * historical data (a backfill of last year's trips) were deleted as soon as their segment closed,
 * before the consumers had read them. Records without the header (written before) decode with
 * their record timestamp.
 */
import { BrokerError, type Envelope, type Headers } from '@sluice/core';
import type { IHeaders, KafkaMessage, Message } from 'kafkajs';

/** Header set on an envelope whose record could not be decoded as written by Sluice. */
export const DECODE_ERROR_HEADER = 'sluice-decode-error';
/** Header holding the envelope's timestamp (decimal milliseconds, exact). */
export const TIMESTAMP_HEADER = 'sluice-timestamp';

/** Per-record overhead of the Kafka record format, in bytes, for `chunkBySize`. */
const RECORD_OVERHEAD = 70;

/**
 * The records of a batch already checked by `assertEnvelopes`. Throws a non-retriable
 * `BrokerError` naming the first envelope whose value cannot be written as JSON; nothing of the
 * batch is sent then.
 */
export function encodeEnvelopes(topic: string, envelopes: readonly Envelope<unknown>[]): Message[] {
  const now = recordTimestamp();
  return envelopes.map((envelope, index) => ({
    key: envelope.key,
    value: valueJson(topic, envelope, index),
    timestamp: now,
    // kafkajs only reads the headers object; the envelope's own is not changed.
    headers: { ...envelope.headers, [TIMESTAMP_HEADER]: String(envelope.timestamp) },
  }));
}

/**
 * Kafka's record timestamp of a publish (decimal milliseconds): the time of the publish, so that
 * the topic's retention counts from when the record was written (see the file's comment).
 */
export function recordTimestamp(now = Date.now()): string {
  return String(now);
}

/**
 * The envelope of a record. Never throws: a record not written by Sluice (no key, a value that is
 * not JSON) is still delivered, with the raw text as its value and a `sluice-decode-error` header
 * saying what was wrong, so a pipeline can dead-letter it instead of losing it.
 */
export function decodeMessage(message: KafkaMessage, partition: number): Envelope<unknown> {
  const problems: string[] = [];
  // The timestamp header is left out as the headers are read (a `delete` afterwards would turn every
  // envelope's headers into a slow dictionary-mode object).
  const [headers, exact] = headersWithout(message.headers, TIMESTAMP_HEADER);
  let key = message.key?.toString('utf8');
  if (key === undefined) {
    key = `${partition}:${message.offset}`;
    problems.push(`the record has no key (used "${key}", its partition:offset)`);
  }
  const text = message.value?.toString('utf8');
  let value: unknown = null;
  if (text !== undefined) {
    try {
      value = JSON.parse(text);
    } catch (error) {
      value = text;
      problems.push(`its value is not JSON (${(error as Error).message}); kept as text`);
    }
  }
  let timestamp = Number(message.timestamp);
  if (exact !== undefined) {
    if (Number.isFinite(Number(exact))) timestamp = Number(exact);
    else problems.push(`header ${TIMESTAMP_HEADER} is not a number: ${exact}`);
  }
  if (problems.length > 0) {
    headers[DECODE_ERROR_HEADER] = `record at partition ${partition} offset ${message.offset}: ${problems.join('; ')}`;
  }
  return { key, value, timestamp: Number.isFinite(timestamp) ? timestamp : 0, headers };
}

/**
 * Splits records into runs of at most `maxBytes` (estimated), keeping their order; a record larger
 * than `maxBytes` goes alone.
 */
export function chunkBySize(messages: readonly Message[], maxBytes: number): Message[][] {
  const chunks: Message[][] = [];
  let current: Message[] = [];
  let size = 0;
  for (const message of messages) {
    const bytes = recordSize(message);
    if (current.length > 0 && size + bytes > maxBytes) {
      chunks.push(current);
      current = [];
      size = 0;
    }
    current.push(message);
    size += bytes;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

function recordSize(message: Message): number {
  let bytes = RECORD_OVERHEAD + byteLength(message.key) + byteLength(message.value);
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    bytes += Buffer.byteLength(name) + (Array.isArray(value) ? value.reduce((sum, v) => sum + byteLength(v), 0) : byteLength(value));
  }
  return bytes;
}

function byteLength(value: Buffer | string | null | undefined): number {
  if (value === null || value === undefined) return 0;
  return typeof value === 'string' ? Buffer.byteLength(value) : value.length;
}

/**
 * `JSON.stringify` of the envelope's value. Throws the non-retriable `BrokerError` of
 * `encodeEnvelopes` when JSON cannot hold it.
 */
export function valueJson(topic: string, envelope: Envelope<unknown>, index: number): string {
  let text: string | undefined;
  let reason = `it is ${typeof envelope.value}, which JSON cannot hold`;
  try {
    text = JSON.stringify(envelope.value);
  } catch (error) {
    reason = (error as Error).message;
  }
  if (text === undefined) {
    throw new BrokerError(
      `cannot publish to topic "${topic}": the value of envelope ${index} (key "${envelope.key}") cannot be written as JSON ` +
        `(${reason}); nothing of the batch was published — values must survive JSON.stringify/JSON.parse`,
      'publish',
      topic,
    );
  }
  return text;
}

/** Record headers as strings (UTF-8); of a header repeated in one record, the last value wins. */
export function decodeHeaders(raw: IHeaders | undefined): Headers {
  return headersWithout(raw, undefined)[0];
}

/** The record headers as text (the last value of a repeated one) without `take`, and the value of `take`. */
function headersWithout(raw: IHeaders | undefined, take: string | undefined): [Headers, string | undefined] {
  const headers: Headers = {};
  let taken: string | undefined;
  if (raw === undefined) return [headers, taken];
  for (const name in raw) {
    const value = raw[name];
    const last = Array.isArray(value) ? value[value.length - 1] : value;
    if (last === undefined) continue;
    const text = typeof last === 'string' ? last : last.toString('utf8');
    if (name === take) taken = text;
    else headers[name] = text;
  }
  return [headers, taken];
}
