/**
 * Packed messages (option `packEnvelopes`): the envelopes of one publish travel as a few AMQP messages
 * instead of one message each. Pure: no I/O.
 *
 * A packed message has the header `sluice-packed: 1` and as its body the JSON array of
 * `[key, timestamp, headers, value]` of its envelopes, in publish order, at most `MAX_PACK_BYTES` of
 * it (a batch larger than that is split in halves until each part fits; a single larger envelope goes
 * alone). RabbitMQ then routes, stores, confirms and delivers one message per pack, and the client
 * encodes and decodes one AMQP frame set and one JSON text per pack instead of per envelope.
 *
 * `decodeEnvelopes` reads both formats, so every consumer of this version reads topics written by
 * either. Consumers of older versions do not understand packs: they deliver each one as a single
 * envelope whose value is the array, with a decode-error header (upgrade consumers first).
 */
import type { Envelope, Headers } from '@sluice/core';
import type { Message, Options } from 'amqplib';
import { createHash } from 'node:crypto';
import { decodeMessage, DECODE_ERROR_HEADER, messageHeaders, messageOrigin, refuse, valueJson, type EncodedMessage } from './codec.js';

/** Header marking a packed message; its value is the format version. */
export const PACKED_HEADER = 'sluice-packed';
const PACKED_VERSION = '1';
/** The most JSON text one packed message holds (unless a single envelope is larger). */
export const MAX_PACK_BYTES = 512 * 1024;

/** One envelope in a packed message's body. */
type Packed = [key: string, timestamp: number, headers: Headers, value: unknown];

/**
 * The packed messages of a batch already checked by `assertEnvelopes`, in publish order. Throws the
 * `BrokerError` of `encodeEnvelopes` naming the first envelope whose value JSON cannot hold; nothing
 * of the batch is sent then. AMQP's limits on headers do not apply: the headers travel in the body.
 */
export function encodePacked(topic: string, envelopes: readonly Envelope<unknown>[], correlationId: string, maxBytes = MAX_PACK_BYTES): EncodedMessage[] {
  const messages: EncodedMessage[] = [];
  const pack = (from: number, to: number): void => {
    const text = packedJson(topic, envelopes, from, to);
    // Cheap test first: UTF-8 takes at most 3 bytes per UTF-16 unit.
    if (to - from > 1 && 3 * text.length > maxBytes && Buffer.byteLength(text) > maxBytes) {
      const middle = from + Math.floor((to - from) / 2);
      pack(from, middle);
      pack(middle, to);
      return;
    }
    const seconds = Math.floor(envelopes[from]!.timestamp / 1000);
    const options: Options.Publish = {
      persistent: true,
      mandatory: true,
      contentType: 'application/json',
      correlationId,
      headers: { [PACKED_HEADER]: PACKED_VERSION },
    };
    if (seconds >= 0 && Number.isSafeInteger(seconds)) options.timestamp = seconds;
    messages.push({ content: Buffer.from(text), options });
  };
  if (envelopes.length > 0) pack(0, envelopes.length);
  return messages;
}

/**
 * The envelopes of a message, packed or not (see `decodeMessage` for one that is not). Never throws:
 * a packed message that cannot be read is delivered as one envelope with its raw text as the value
 * (key: its message id or a hash of its body, as for a foreign message), and an entry that is not
 * `[key, timestamp, headers, value]` as one envelope holding the entry, each with the reason in the
 * `sluice-decode-error` header.
 */
export function decodeEnvelopes(message: Message): Envelope<unknown>[] {
  const marker = message.properties.headers?.[PACKED_HEADER] as unknown;
  if (marker === undefined) return [decodeMessage(message)];
  const version = Buffer.isBuffer(marker) ? marker.toString('utf8') : String(marker);
  const text = message.content.toString('utf8');
  let entries: unknown;
  let problem: string | undefined;
  if (version !== PACKED_VERSION) {
    problem = `it is packed in format ${version}, which this version of @sluice/adapter-rabbitmq does not know; upgrade the consumer`;
  } else {
    try {
      entries = JSON.parse(text);
      if (!Array.isArray(entries)) problem = 'its packed body is not a JSON array';
      else if (entries.length === 0) problem = 'it packs no envelopes';
    } catch (error) {
      problem = `its packed body is not JSON (${(error as Error).message})`;
    }
  }
  if (problem !== undefined) {
    const headers = messageHeaders(message);
    headers[DECODE_ERROR_HEADER] = `${messageOrigin(message)}: ${problem}; kept as text`;
    const id = message.properties.messageId;
    const key = typeof id === 'string' && id !== '' ? id : `sha1:${createHash('sha1').update(message.content).digest('hex')}`;
    const seconds = Number(message.properties.timestamp);
    return [{ key, value: text, timestamp: Number.isFinite(seconds) ? seconds * 1000 : 0, headers }];
  }
  const list = entries as unknown[];
  const envelopes: Envelope<unknown>[] = new Array<Envelope<unknown>>(list.length);
  for (let index = 0; index < list.length; index++) envelopes[index] = unpack(list[index], message, index, list.length);
  return envelopes;
}

function unpack(entry: unknown, message: Message, index: number, count: number): Envelope<unknown> {
  if (Array.isArray(entry) && entry.length === 4) {
    const [key, timestamp, headers, value] = entry as unknown[];
    if (typeof key === 'string' && typeof timestamp === 'number' && isHeaders(headers)) return { key, value, timestamp, headers };
  }
  const body = createHash('sha1').update(message.content).digest('hex');
  return {
    key: `sha1:${body}:${index}`,
    value: entry,
    timestamp: 0,
    headers: {
      [DECODE_ERROR_HEADER]: `${messageOrigin(message)}: entry ${index} of ${count} is not a packed envelope [key, timestamp, headers, value]; kept as it was`,
    },
  };
}

function isHeaders(value: unknown): value is Headers {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  for (const name in value) if (typeof (value as Record<string, unknown>)[name] !== 'string') return false;
  return true;
}

function packedJson(topic: string, envelopes: readonly Envelope<unknown>[], from: number, to: number): string {
  const packed: Packed[] = new Array<Packed>(to - from);
  for (let index = from; index < to; index++) {
    const envelope = envelopes[index]!;
    const { value } = envelope;
    // What JSON.stringify would silently turn into null inside an array: refuse it as unpacked publishing does.
    if (value === undefined || typeof value === 'function' || typeof value === 'symbol' || hasToJson(value)) valueJson(topic, envelope, index);
    packed[index - from] = [envelope.key, envelope.timestamp, envelope.headers ?? {}, value];
  }
  try {
    return JSON.stringify(packed);
  } catch (error) {
    // A BigInt or a cycle somewhere: name the envelope, as unpacked publishing does.
    for (let index = from; index < to; index++) valueJson(topic, envelopes[index]!, index);
    return refuse(topic, envelopes[from]!, from, `could not be packed (${(error as Error).message})`);
  }
}

function hasToJson(value: unknown): boolean {
  return typeof value === 'object' && value !== null && typeof (value as { toJSON?: unknown }).toJSON === 'function';
}
