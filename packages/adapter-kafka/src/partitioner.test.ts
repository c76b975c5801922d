import { createRequire } from 'node:module';
import kafkajs from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { keyPartitioner, murmur2, partitionOf } from './partitioner.js';

/** kafkajs's own (long.js) murmur2, the reference our placement must match. */
const reference = createRequire(import.meta.url)('kafkajs/src/producer/partitioners/default/murmur2') as (key: string | Buffer) => number;

const keys = [
  '',
  'a',
  'ab',
  'abc',
  'abcd',
  'Prague|2018-01-01 00:00:00',
  'ü €',
  '😀 emoji key',
  'x'.repeat(1000),
  ...Array.from({ length: 2000 }, (_, i) => `metric:${i}:${(i * 7919) % 1013}`),
];

describe('kafka partitioner', () => {
  it('hashes keys exactly as kafkajs (and the Java client) do', () => {
    for (const key of keys) {
      expect(murmur2(key), key).toBe(reference(key));
      expect(murmur2(Buffer.from(key)), key).toBe(reference(Buffer.from(key)));
    }
  });

  it('places keyed records where kafkajs DefaultPartitioner does, and honours an explicit partition', () => {
    const partitionMetadata = Array.from({ length: 7 }, (_, partitionId) => ({ partitionId, partitionErrorCode: 0, leader: 1, replicas: [1], isr: [1] }));
    const ours = keyPartitioner();
    const theirs = kafkajs.Partitioners.DefaultPartitioner();
    for (const key of keys) {
      const args = { topic: 't', partitionMetadata, message: { key, value: null } };
      expect(ours(args), key).toBe(theirs(args));
      expect(ours(args)).toBe(partitionOf(key, 7));
    }
    expect(ours({ topic: 't', partitionMetadata, message: { key: 'a', value: null, partition: 5 } })).toBe(5);
    expect(ours({ topic: 't', partitionMetadata, message: { value: null } })).toBeLessThan(7);
  });
});
