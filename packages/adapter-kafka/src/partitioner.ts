/**
 * The producer's partitioner: the same placement as kafkajs's `DefaultPartitioner` (Kafka's Java
 * murmur2 of the key modulo the partition count), in 32-bit integer arithmetic instead of long.js,
 * so a key lands in the same partition whichever Sluice version (or Java client) wrote it.
 */
import kafkajs, { type ICustomPartitioner, type PartitionerArgs } from 'kafkajs';

const { Partitioners } = kafkajs;

const SEED = 0x9747b28c;
const M = 0x5bd1e995;

/** UTF-8 bytes of the key being hashed; grows when a key does not fit. */
let scratch = Buffer.allocUnsafe(256);

/** Kafka's murmur2 (signed 32-bit) of the UTF-8 bytes of `key`, as the Java client computes it. */
export function murmur2(key: string | Buffer): number {
  let data: Buffer;
  let length: number;
  if (typeof key === 'string') {
    if (key.length * 3 > scratch.length) scratch = Buffer.allocUnsafe(key.length * 3);
    length = scratch.write(key, 0, 'utf8');
    data = scratch;
  } else {
    data = key;
    length = key.length;
  }
  let h = SEED ^ length;
  const whole = length & ~3;
  for (let i = 0; i < whole; i += 4) {
    let k = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  const tail = length & 3;
  if (tail > 0) {
    if (tail === 3) h ^= data[whole + 2]! << 16;
    if (tail >= 2) h ^= data[whole + 1]! << 8;
    h ^= data[whole]!;
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/** The partition of `key` among `partitions` partitions (Kafka's default placement of keyed records). */
export function partitionOf(key: string | Buffer, partitions: number): number {
  return (murmur2(key) & 0x7fffffff) % partitions;
}

/**
 * kafkajs partitioner: a record's own `partition` if set, else `partitionOf(key)`; keyless records
 * go round-robin through kafkajs's default partitioner.
 */
export const keyPartitioner: ICustomPartitioner = () => {
  const fallback = Partitioners.DefaultPartitioner();
  return (args: PartitionerArgs) => {
    const { message, partitionMetadata } = args;
    if (message.partition !== undefined && message.partition !== null) return message.partition;
    if (message.key === undefined || message.key === null) return fallback(args);
    return partitionOf(message.key, partitionMetadata.length);
  };
};
