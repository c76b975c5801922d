/**
 * Envelope ↔ AMQP message. Pure: no I/O.
 *
 * A message carries `JSON.stringify(value)` as its body (content type `application/json`, persistent),
 * the key as its `messageId`, the envelope's headers as AMQP headers, and a header of Sluice's own,
 * `sluice-timestamp` (decimal milliseconds, exact). A key longer than the 255 bytes a message id
 * holds travels in the header `sluice-key` instead (messages written before this change carry every
 * key there: they decode the same). The AMQP `timestamp` property holds the time in whole seconds,
 * for other tools. Headers RabbitMQ adds (`x-delivery-count`, `x-death`, …) are removed on the way in.
 *
 * Every header entry costs amqplib an object and a table encoding per message: carrying the key as a
 * property instead of a header cut a producer's CPU by about a tenth in the RabbitMQ bench.
 */
import { BrokerError, type Envelope, type Headers } from '@sluice/core';
import type { Message, Options } from 'amqplib';
import { createHash } from 'node:crypto';

/** Header set on an envelope whose message could not be decoded as written by Sluice. */
export const DECODE_ERROR_HEADER = 'sluice-decode-error';
/** Header holding an envelope key too long for the `messageId` property. */
export const KEY_HEADER = 'sluice-key';
/** Header holding the exact envelope timestamp (decimal milliseconds). */
export const TIMESTAMP_HEADER = 'sluice-timestamp';

/** Headers RabbitMQ sets on delivery or dead-lettering; not part of the envelope. */
const BROKER_HEADERS = new Set([
  'x-delivery-count',
  'x-death',
  'x-first-death-exchange',
  'x-first-death-queue',
  'x-first-death-reason',
  'x-last-death-exchange',
  'x-last-death-queue',
  'x-last-death-reason',
]);

/**
 * amqplib encodes the headers of one message into a 64 KiB buffer and throws a `RangeError` past it;
 * a batch whose headers come near is refused before anything of it is sent.
 */
const MAX_HEADER_BYTES = 60 * 1024;
/** AMQP field names and short-string properties (`messageId`) hold at most 255 bytes. */
const MAX_HEADER_NAME_BYTES = 255;

/** One encoded message; its options include `mandatory` (the publisher relies on it). */
export interface EncodedMessage {
  content: Buffer;
  options: Options.Publish;
}

/**
 * The messages of a batch already checked by `assertEnvelopes`. Throws a non-retriable `BrokerError`
 * naming the first envelope that cannot be sent (a value JSON cannot hold, headers AMQP cannot carry);
 * nothing of the batch is sent then.
 */
export function encodeEnvelopes(topic: string, envelopes: readonly Envelope<unknown>[], correlationId: string): EncodedMessage[] {
  const messages: EncodedMessage[] = new Array<EncodedMessage>(envelopes.length);
  for (let index = 0; index < envelopes.length; index++) {
    const envelope = envelopes[index]!;
    const { key, timestamp } = envelope;
    const asId = fitsShortString(key);
    const headers = envelopeHeaders(topic, envelope, index, !asId);
    const seconds = Math.floor(timestamp / 1000);
    const options: Options.Publish = { persistent: true, mandatory: true, contentType: 'application/json', correlationId, headers };
    if (asId) options.messageId = key;
    if (seconds >= 0 && Number.isSafeInteger(seconds)) options.timestamp = seconds;
    messages[index] = { content: Buffer.from(valueJson(topic, envelope, index)), options };
  }
  return messages;
}

/**
 * The envelope of a message. Never throws: a message not written by Sluice (no `sluice-key`, a body
 * that is not JSON) is still delivered, with the raw text as its value and a `sluice-decode-error`
 * header saying what was wrong, so a pipeline can dead-letter it instead of losing it. Its key is
 * then its message id, or a hash of its body (the same on every redelivery).
 */
export function decodeMessage(message: Message): Envelope<unknown> {
  const raw = message.properties.headers;
  const headers: Headers = {};
  let key: string | undefined;
  let exact: string | undefined;
  if (raw) {
    for (const name in raw) {
      const value: unknown = raw[name];
      if (value === undefined || value === null) continue;
      if (name === KEY_HEADER) key = headerText(value);
      else if (name === TIMESTAMP_HEADER) exact = headerText(value);
      else if (!BROKER_HEADERS.has(name)) headers[name] = typeof value === 'string' ? value : headerText(value);
    }
  }
  let problems: string[] | undefined;
  const id = message.properties.messageId;
  const hasId = typeof id === 'string' && id !== '';
  if (key === undefined && exact !== undefined && hasId) key = id;
  else if (key === undefined) {
    key = hasId ? id : `sha1:${createHash('sha1').update(message.content).digest('hex')}`;
    (problems ??= []).push(
      `it has no ${KEY_HEADER} header, nor a message id with a ${TIMESTAMP_HEADER} header (used "${key}", its message id or a hash of its body, as key)`,
    );
  }
  const text = message.content.toString('utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    value = text;
    (problems ??= []).push(`its body is not JSON (${(error as Error).message}); kept as text`);
  }
  let timestamp = exact === undefined ? Number.NaN : Number(exact);
  if (!Number.isFinite(timestamp)) {
    const seconds = Number(message.properties.timestamp);
    if (exact !== undefined) (problems ??= []).push(`header ${TIMESTAMP_HEADER} is not a number: ${exact}`);
    else if (!problems && !Number.isFinite(seconds)) problems = [`it has no ${TIMESTAMP_HEADER} header nor timestamp property`];
    timestamp = Number.isFinite(seconds) ? seconds * 1000 : 0;
  }
  if (problems) headers[DECODE_ERROR_HEADER] = `${messageOrigin(message)}: ${problems.join('; ')}`;
  return { key, value, timestamp, headers };
}

/** Where a message came from, for decode errors: `message from exchange "…"`. */
export function messageOrigin(message: Message): string {
  return `message from ${message.fields.exchange ? `exchange "${message.fields.exchange}"` : `routing key "${message.fields.routingKey}"`}`;
}

/** The headers of a message RabbitMQ did not add, as text (for a message that is not what Sluice wrote). */
export function messageHeaders(message: Message): Headers {
  const headers: Headers = {};
  const raw = message.properties.headers;
  if (raw) for (const name in raw) if (!BROKER_HEADERS.has(name) && raw[name] !== undefined && raw[name] !== null) headers[name] = headerText(raw[name]);
  return headers;
}

/** The delivery count RabbitMQ's quorum queue put on a message: 0 on its first delivery. */
export function deliveryCountOf(message: Message): number {
  const count = Number(message.properties.headers?.['x-delivery-count'] ?? 0);
  return Number.isFinite(count) && count >= 0 ? count : 0;
}

/** A header value of any AMQP type as text. */
function headerText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  if (typeof value === 'object') {
    try {
      return JSON.stringify(value, (_, item: unknown) => (typeof item === 'bigint' ? item.toString() : item));
    } catch {
      return String(value);
    }
  }
  return String(value);
}

/** Whether `text` fits an AMQP short string (255 bytes of UTF-8). */
function fitsShortString(text: string): boolean {
  return 3 * text.length <= MAX_HEADER_NAME_BYTES || Buffer.byteLength(text) <= MAX_HEADER_NAME_BYTES;
}

/**
 * The AMQP headers of an envelope: its own plus the exact timestamp, and the key when `withKey`.
 * Refuses (naming the envelope) a reserved header name, a name over 255 bytes, or more than 60 KiB
 * in all. UTF-8 takes at most 3 bytes per UTF-16 unit, so exact byte counts are needed only for long
 * names and large totals.
 */
function envelopeHeaders(topic: string, envelope: Envelope<unknown>, index: number, withKey: boolean): Record<string, string> {
  const headers: Record<string, string> = {};
  const own = envelope.headers;
  const { key } = envelope;
  let bound = (withKey ? 3 * key.length + KEY_HEADER.length : 0) + TIMESTAMP_HEADER.length + 40;
  if (own) {
    for (const name in own) {
      if (name === KEY_HEADER || name === TIMESTAMP_HEADER) {
        refuse(topic, envelope, index, `has a header named ${KEY_HEADER} or ${TIMESTAMP_HEADER}, which the RabbitMQ broker reserves`);
      }
      const value = own[name]!;
      if (!fitsShortString(name)) {
        refuse(topic, envelope, index, `has a header name of ${Buffer.byteLength(name)} bytes; AMQP allows ${MAX_HEADER_NAME_BYTES}`);
      }
      bound += 3 * (name.length + value.length) + 6;
      headers[name] = value;
    }
  }
  if (withKey) headers[KEY_HEADER] = key;
  headers[TIMESTAMP_HEADER] = String(envelope.timestamp);
  if (bound > MAX_HEADER_BYTES) {
    let bytes = 0;
    for (const name in headers) bytes += Buffer.byteLength(name) + Buffer.byteLength(headers[name]!) + 6;
    if (bytes > MAX_HEADER_BYTES) {
      refuse(topic, envelope, index, `has ${bytes} bytes of key and headers; a RabbitMQ message carries at most ${MAX_HEADER_BYTES}`);
    }
  }
  return headers;
}

/** Throws the non-retriable `BrokerError` refusing a batch because of envelope `index`. */
export function refuse(topic: string, envelope: Envelope<unknown>, index: number, problem: string): never {
  throw new BrokerError(
    `cannot publish to topic "${topic}": envelope ${index} (key "${envelope.key.slice(0, 80)}") ${problem}; ` +
      'nothing of the batch was published — fix the record or send it to the dead letters',
    'publish',
    topic,
  );
}

/** `JSON.stringify` of the envelope's value; throws a non-retriable `BrokerError` when JSON cannot hold it. */
export function valueJson(topic: string, envelope: Envelope<unknown>, index: number): string {
  let text: string | undefined;
  let reason = `it is ${typeof envelope.value}, which JSON cannot hold`;
  try {
    text = JSON.stringify(envelope.value);
  } catch (error) {
    reason = (error as Error).message;
  }
  if (text === undefined) refuse(topic, envelope, index, `has a value that cannot be written as JSON (${reason}); values must survive JSON.stringify/JSON.parse`);
  return text;
}
