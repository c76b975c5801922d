/**
 * Packed records (option `packEnvelopes`): the envelopes of one publish that go to one partition
 * travel as one Kafka record instead of one record each. Pure: no I/O.
 *
 * A packed record has the header `sluice-packed: 1` and as its value the JSON array of
 * `[key, timestamp, headers, value]` of its envelopes, in publish order. It goes to the partition
 * its envelopes' keys hash to (the placement of unpacked records), so per-key order holds across
 * both formats. kafkajs then encodes, checksums and decodes a few records per publish instead of
 * one per envelope, and the envelopes are written and read with one `JSON.stringify` / `JSON.parse`.
 *
 * `decodeRecord` reads both formats, so consumers of this version read topics written by older
 * producers, packed or not. Consumers of older versions do not understand packed records: they
 * deliver each one as a single envelope whose value is the array (upgrade consumers first).
 */
import { type Envelope, type Headers } from '@sluice/core';
import type { KafkaMessage, Message } from 'kafkajs';
import { decodeHeaders, decodeMessage, DECODE_ERROR_HEADER, recordTimestamp, valueJson } from './codec.js';
import { partitionOf } from './partitioner.js';
import { SLOTS } from './positions.js';

/** Header marking a packed record; its value is the format version. */
export const PACKED_HEADER = 'sluice-packed';
const PACKED_VERSION = '1';
const PACKED_HEADERS = { [PACKED_HEADER]: PACKED_VERSION };
/** Bytes of a packed record besides its value (key, header, record framing), for the size bound. */
const PACKED_OVERHEAD = 512;

/** One envelope in a packed record's value. */
type Packed = [key: string, timestamp: number, headers: Headers, value: unknown];

/**
 * The packed records of a batch already checked by `assertEnvelopes`, for a topic of `partitions`
 * partitions: per partition, in publish order, records of at most `maxBytes` each (a single envelope
 * larger than that goes alone). Throws the `BrokerError` of `encodeEnvelopes` naming the first
 * envelope whose value cannot be written as JSON; nothing of the batch is sent then.
 */
export function encodePacked(topic: string, envelopes: readonly Envelope<unknown>[], partitions: number, maxBytes: number): Message[] {
  const groups = new Map<number, number[]>();
  for (let index = 0; index < envelopes.length; index++) {
    const partition = partitionOf(envelopes[index]!.key, partitions);
    const group = groups.get(partition);
    if (group) group.push(index);
    else groups.set(partition, [index]);
  }
  const messages: Message[] = [];
  for (const [partition, indices] of groups) {
    for (const part of packedParts(topic, envelopes, indices, maxBytes - PACKED_OVERHEAD)) {
      const first = envelopes[indices[part.from]!]!;
      messages.push({ key: first.key, value: part.text, partition, timestamp: recordTimestamp(), headers: PACKED_HEADERS });
    }
  }
  return messages;
}

/** A packed value of the envelopes `indices[from…to)`. */
interface Part {
  from: number;
  text: string;
}

/** The JSON of `indices`, halved until each part fits `maxBytes` (or holds one envelope). */
function packedParts(topic: string, envelopes: readonly Envelope<unknown>[], indices: readonly number[], maxBytes: number): Part[] {
  const parts: Part[] = [];
  const pack = (from: number, to: number): void => {
    const text = packedJson(topic, envelopes, indices, from, to);
    if (to - from > 1 && Buffer.byteLength(text) > maxBytes) {
      const middle = from + Math.floor((to - from) / 2);
      pack(from, middle);
      pack(middle, to);
    } else {
      parts.push({ from, text });
    }
  };
  pack(0, indices.length);
  return parts;
}

function packedJson(topic: string, envelopes: readonly Envelope<unknown>[], indices: readonly number[], from: number, to: number): string {
  const packed: Packed[] = [];
  for (let i = from; i < to; i++) {
    const index = indices[i]!;
    const envelope = envelopes[index]!;
    const { value } = envelope;
    // What JSON.stringify would silently turn into null inside an array: refuse it as unpacked does.
    if (value === undefined || typeof value === 'function' || typeof value === 'symbol' || hasToJson(value)) valueJson(topic, envelope, index);
    packed.push([envelope.key, envelope.timestamp, envelope.headers ?? {}, value]);
  }
  try {
    return JSON.stringify(packed);
  } catch (error) {
    // A BigInt or a cycle somewhere: name the envelope, as unpacked publishing does.
    for (let i = from; i < to; i++) valueJson(topic, envelopes[indices[i]!]!, indices[i]!);
    throw error;
  }
}

function hasToJson(value: unknown): boolean {
  return typeof value === 'object' && value !== null && typeof (value as { toJSON?: unknown }).toJSON === 'function';
}

/**
 * The envelopes of a record, packed or not (see `decodeMessage` for an unpacked one). Never throws:
 * a packed record that cannot be read is delivered as one envelope with its raw text as the value,
 * and an entry that is not `[key, timestamp, headers, value]` as one envelope holding the entry,
 * each with the reason in the `sluice-decode-error` header.
 */
export function decodeRecord(message: KafkaMessage, partition: number): Envelope<unknown>[] {
  const marker = message.headers?.[PACKED_HEADER];
  if (marker === undefined) return [decodeMessage(message, partition)];
  const where = `record at partition ${partition} offset ${message.offset}`;
  const text = message.value?.toString('utf8') ?? '';
  let entries: unknown;
  let problem: string | undefined;
  const version = decodeHeaders({ [PACKED_HEADER]: marker })[PACKED_HEADER];
  if (version !== PACKED_VERSION) {
    problem = `it is packed in format ${String(version)}, which this version of @sluice/adapter-kafka does not know; upgrade the consumer`;
  } else {
    try {
      entries = JSON.parse(text);
      if (!Array.isArray(entries)) problem = 'its packed value is not a JSON array';
      else if (entries.length > SLOTS) problem = `it packs ${entries.length} envelopes, more than ${SLOTS}`;
    } catch (error) {
      problem = `its packed value is not JSON (${(error as Error).message})`;
    }
  }
  if (problem !== undefined) {
    const headers = decodeHeaders(message.headers);
    headers[DECODE_ERROR_HEADER] = `${where}: ${problem}; kept as text`;
    return [{ key: message.key?.toString('utf8') ?? `${partition}:${message.offset}`, value: text, timestamp: Number(message.timestamp) || 0, headers }];
  }
  return (entries as unknown[]).map((entry, index) => unpack(entry, `${where} entry ${index}`, `${partition}:${message.offset}:${index}`));
}

function unpack(entry: unknown, where: string, fallbackKey: string): Envelope<unknown> {
  if (Array.isArray(entry) && entry.length === 4) {
    const [key, timestamp, headers, value] = entry as unknown[];
    if (typeof key === 'string' && typeof timestamp === 'number' && isHeaders(headers)) return { key, value, timestamp, headers };
  }
  return {
    key: fallbackKey,
    value: entry,
    timestamp: 0,
    headers: { [DECODE_ERROR_HEADER]: `${where}: not a packed envelope [key, timestamp, headers, value]; kept as it was` },
  };
}

function isHeaders(value: unknown): value is Headers {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  for (const name in value) if (typeof (value as Record<string, unknown>)[name] !== 'string') return false;
  return true;
}
