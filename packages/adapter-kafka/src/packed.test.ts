import { BrokerError, type Envelope } from '@sluice/core';
import type { KafkaMessage, Message } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { DECODE_ERROR_HEADER, decodeMessage, encodeEnvelopes } from './codec.js';
import { decodeRecord, encodePacked, PACKED_HEADER } from './packed.js';
import { partitionOf } from './partitioner.js';

/** What kafkajs hands a consumer for a record it sent as `message`. */
function received(message: Message, offset = '3'): KafkaMessage {
  const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([name, value]) => [name, Buffer.from(String(value))]));
  const buffer = (value: unknown) => (value === null || value === undefined ? null : Buffer.from(String(value)));
  return { key: buffer(message.key), value: buffer(message.value), timestamp: String(message.timestamp), attributes: 0, offset, headers };
}

const envelopes: Envelope<unknown>[] = Array.from({ length: 40 }, (_, i) => ({
  key: `k${i % 9}`,
  value: i % 4 === 0 ? { n: i, s: 'ü €', list: [null, true] } : i % 4 === 1 ? `text ${i}` : i % 4 === 2 ? null : [i],
  timestamp: i % 5 === 0 ? 1_700_000_000_000.5 + i : i % 7 === 0 ? -i : 1_700_000_000_000 + i,
  headers: i % 3 === 0 ? ({} as Record<string, string>) : { source: 'trips.csv', n: String(i) },
}));

describe('kafka packed records', () => {
  it('packs per partition of the key, and unpacks every envelope unchanged, in publish order', () => {
    const messages = encodePacked('t', envelopes, 3, 1 << 20);
    expect(messages.length).toBeLessThanOrEqual(3);
    const byPartition = new Map<number, Envelope<unknown>[]>();
    for (const message of messages) {
      expect(message.headers).toEqual({ [PACKED_HEADER]: '1' });
      const unpacked = decodeRecord(received(message), message.partition!);
      for (const envelope of unpacked) expect(partitionOf(envelope.key, 3)).toBe(message.partition);
      byPartition.set(message.partition!, [...(byPartition.get(message.partition!) ?? []), ...unpacked]);
    }
    for (const [partition, unpacked] of byPartition) {
      expect(unpacked).toEqual(envelopes.filter((envelope) => partitionOf(envelope.key, 3) === partition));
    }
  });

  it("stamps packed records with the time of the publish; the envelopes inside keep their own", () => {
    const before = Date.now();
    const old = [{ key: 'trip', value: 1, timestamp: Date.UTC(2018, 4, 21), headers: {} }];
    const [message] = encodePacked('t', old, 1, 1 << 20);
    expect(Number(message!.timestamp)).toBeGreaterThanOrEqual(before);
    expect(decodeRecord(received(message!), 0)).toEqual(old);
  });

  it('bounds packed records by size, keeping their order; an oversized envelope goes alone', () => {
    const big = { key: 'k1', value: 'x'.repeat(5000), timestamp: 1, headers: {} };
    const batch = [...envelopes.filter((envelope) => envelope.key === 'k1'), big, ...envelopes.filter((envelope) => envelope.key === 'k1')];
    const messages = encodePacked('t', batch, 1, 1200);
    expect(messages.length).toBeGreaterThan(2);
    expect(messages.flatMap((message) => decodeRecord(received(message), 0))).toEqual(batch);
    expect(messages.some((message) => decodeRecord(received(message), 0).length === 1 && String(message.value).length > 5000)).toBe(true);
  });

  it('reads records of the unpacked format (mixed-version producers) as decodeMessage does', () => {
    for (const message of encodeEnvelopes('t', envelopes)) {
      expect(decodeRecord(received(message), 1)).toEqual([decodeMessage(received(message), 1)]);
    }
    const mixed = [...encodeEnvelopes('t', envelopes.slice(0, 5)), ...encodePacked('t', envelopes.slice(5, 10), 1, 1 << 20)];
    expect(mixed.flatMap((message) => decodeRecord(received(message), 0))).toEqual(envelopes.slice(0, 10));
  });

  it('refuses a batch with a value JSON cannot hold, naming the envelope, as unpacked publishing does', () => {
    const good = { key: 'a', value: 1, timestamp: 0, headers: {} };
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    for (const value of [undefined, () => 1, { toJSON: () => undefined }, cyclic, { n: 1n }]) {
      const batch = [good, good, { key: 'b', value, timestamp: 0, headers: {} }];
      expect(() => encodePacked('t', batch, 3, 1 << 20)).toThrow(BrokerError);
      expect(() => encodePacked('t', batch, 3, 1 << 20)).toThrow(/envelope 2 \(key "b"\)/);
    }
  });

  it('delivers a packed record it cannot read, or an entry that is no envelope, with the reason in a header', () => {
    const packed = (value: string, version = '1'): KafkaMessage => received({ key: 'k', value, timestamp: '5', headers: { [PACKED_HEADER]: version } }, '42');
    const [notJson] = decodeRecord(packed('[oops'), 2);
    expect(notJson).toMatchObject({ key: 'k', value: '[oops', timestamp: 5 });
    expect(notJson!.headers[DECODE_ERROR_HEADER]).toMatch(/partition 2 offset 42: its packed value is not JSON/);
    expect(decodeRecord(packed('{"a":1}'), 2)[0]!.headers[DECODE_ERROR_HEADER]).toMatch(/not a JSON array/);
    expect(decodeRecord(packed('[]', '9'), 2)[0]!.headers[DECODE_ERROR_HEADER]).toMatch(/format 9.*upgrade the consumer/);
    const entries = decodeRecord(packed('[["a",1,{},2],[1,2],["b",1,{"h":3},2]]'), 2);
    expect(entries[0]).toEqual({ key: 'a', value: 2, timestamp: 1, headers: {} });
    expect(entries[1]).toMatchObject({ key: '2:42:1', value: [1, 2] });
    expect(entries[1]!.headers[DECODE_ERROR_HEADER]).toMatch(/entry 1: not a packed envelope/);
    expect(entries[2]!.headers[DECODE_ERROR_HEADER]).toMatch(/entry 2/);
  });
});
