import { BrokerError, type Envelope } from '@sluice/core';
import type { KafkaMessage, Message } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { chunkBySize, decodeMessage, DECODE_ERROR_HEADER, encodeEnvelopes, TIMESTAMP_HEADER } from './codec.js';

/** What kafkajs hands a consumer for a record it sent as `message`. */
function received(message: Message, offset = '7'): KafkaMessage {
  const buffer = (value: unknown) => (value === null || value === undefined ? null : Buffer.from(String(value)));
  const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([name, value]) => [name, Buffer.from(String(value))]));
  return {
    key: buffer(message.key),
    value: buffer(message.value),
    timestamp: String(message.timestamp),
    attributes: 0,
    offset,
    headers,
  };
}

function roundTrip(envelope: Envelope<unknown>): Envelope<unknown> {
  const [message] = encodeEnvelopes('t', [envelope]);
  return decodeMessage(received(message!), 0);
}

describe('kafka codec', () => {
  it('round-trips key, JSON value, timestamp and headers; the timestamp travels in a header', () => {
    const envelope = { key: 'metric:1:2', value: { n: 1, s: 'ü €', list: [null, true] }, timestamp: 1_700_000_000_123, headers: { a: 'b' } };
    const [message] = encodeEnvelopes('t', [envelope]);
    expect(message).toMatchObject({ key: 'metric:1:2', value: JSON.stringify(envelope.value), headers: { a: 'b', [TIMESTAMP_HEADER]: '1700000000123' } });
    expect(envelope.headers).toEqual({ a: 'b' }); // the envelope's own headers are not changed
    expect(roundTrip(envelope)).toEqual(envelope);
  });

  it("stamps records with the time of the publish, not the envelope's: retention must not delete a backfill before it is read", () => {
    // A trip of 2018: as Kafka's record timestamp it made the broker delete every closed segment
    // at once under a 24-hour retention (3.1M of 10M records lost in a benchmark).
    const before = Date.now();
    const [message] = encodeEnvelopes('t', [{ key: 'trip', value: 1, timestamp: Date.UTC(2018, 4, 21), headers: {} }]);
    const stamped = Number(message!.timestamp);
    expect(stamped).toBeGreaterThanOrEqual(before);
    expect(stamped).toBeLessThanOrEqual(Date.now());
  });

  it('keeps any timestamp exactly (fractional, negative, beyond 2^53)', () => {
    for (const timestamp of [1_700_000_000_000.5, -5, 2 ** 60, 0]) {
      const envelope = { key: 'k', value: null, timestamp, headers: {} };
      const [message] = encodeEnvelopes('t', [envelope]);
      expect(message!.headers).toEqual({ [TIMESTAMP_HEADER]: String(timestamp) });
      expect(roundTrip(envelope)).toEqual(envelope);
    }
  });

  it('decodes records written without the timestamp header (before it) with their record timestamp', () => {
    const envelope = decodeMessage(received({ key: 'k', value: '1', timestamp: '1700000000123', headers: { a: 'b' } }), 0);
    expect(envelope).toEqual({ key: 'k', value: 1, timestamp: 1_700_000_000_123, headers: { a: 'b' } });
  });

  it('refuses a batch with a value JSON cannot hold, naming the envelope', () => {
    const good = { key: 'a', value: 1, timestamp: 0, headers: {} };
    const bad = { key: 'b', value: undefined, timestamp: 0, headers: {} };
    expect(() => encodeEnvelopes('t', [good, bad])).toThrow(BrokerError);
    expect(() => encodeEnvelopes('t', [good, bad])).toThrow(/envelope 1 \(key "b"\)/);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => encodeEnvelopes('t', [{ ...good, value: cyclic }])).toThrow(/cannot be written as JSON/);
  });

  it('delivers a record not written by Sluice with its raw text and the reason in a header', () => {
    const envelope = decodeMessage(received({ key: null, value: 'not json {', timestamp: '5' }, '42'), 2);
    expect(envelope.key).toBe('2:42');
    expect(envelope.value).toBe('not json {');
    expect(envelope.timestamp).toBe(5);
    expect(envelope.headers[DECODE_ERROR_HEADER]).toMatch(/partition 2 offset 42: the record has no key.*not JSON/);
  });

  it('reads a record without a value (a tombstone) as a null value', () => {
    const envelope = decodeMessage(received({ key: 'k', value: null, timestamp: '1' }), 0);
    expect(envelope).toEqual({ key: 'k', value: null, timestamp: 1, headers: {} });
  });

  it('splits records into size-bounded chunks in order, an oversized record alone', () => {
    const message = (size: number, key: string): Message => ({ key, value: 'x'.repeat(size) });
    const messages = [message(400, 'a'), message(400, 'b'), message(2000, 'c'), message(10, 'd')];
    const chunks = chunkBySize(messages, 1000);
    expect(chunks.map((chunk) => chunk.map((m) => m.key))).toEqual([['a', 'b'], ['c'], ['d']]);
    expect(chunkBySize([], 1000)).toEqual([]);
  });
});
