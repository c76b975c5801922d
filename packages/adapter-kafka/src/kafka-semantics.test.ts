/**
 * What the Kafka broker does beyond the contract: partitions, per-key order across them, commits
 * only on ack and only of the acked prefix, nack rewinds, rebalances and lag — against a real Kafka.
 */
import { BrokerError, ConfigError, type Delivery, type Envelope } from '@sluice/core';
import { DeliveryCollector, randomName, requireService, serviceUrls } from '@sluice/core/testkit';
import kafkajs, { type Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DECODE_ERROR_HEADER } from './codec.js';
import { createKafkaBroker, type KafkaBroker, type KafkaBrokerOptions } from './index.js';

const waitMs = 30_000;
const reachable = await requireService('Kafka', serviceUrls.kafka, 'pnpm services:up');

/** `count` envelopes keyed `k-<i>` (or by `keyOf`) with `{ seq: i }` values. */
function envelopes(count: number, keyOf: (i: number) => string = (i) => `k-${i}`): Envelope<{ seq: number }>[] {
  return Array.from({ length: count }, (_, i) => ({ key: keyOf(i), value: { seq: i }, timestamp: 1_700_000_000_000 + i, headers: {} }));
}

function keysOf(list: readonly Envelope[]): string[] {
  return list.map((envelope) => envelope.key);
}

describe.skipIf(!reachable)('kafka broker: Kafka semantics', () => {
  let admin: Admin;
  const brokers: KafkaBroker[] = [];
  const collectors: DeliveryCollector<unknown>[] = [];
  const topics: string[] = [];

  beforeAll(async () => {
    admin = new kafkajs.Kafka({ clientId: 'sluice-test', brokers: [serviceUrls.kafka], logLevel: kafkajs.logLevel.NOTHING }).admin();
    await admin.connect();
  });

  afterAll(async () => {
    for (const collector of collectors) collector.stop();
    await Promise.all(brokers.map((broker) => broker.close()));
    const existing = new Set(await admin.listTopics());
    const mine = topics.filter((topic) => existing.has(topic));
    if (mine.length > 0) await admin.deleteTopics({ topics: mine });
    await admin.disconnect();
  });

  function broker(options: KafkaBrokerOptions = {}): KafkaBroker {
    const created = createKafkaBroker({ brokers: serviceUrls.kafka, ...options });
    brokers.push(created);
    return created;
  }

  function topic(): string {
    const name = randomName('topic');
    topics.push(name);
    return name;
  }

  function consume<T>(on: KafkaBroker, name: string, group: string, options: { autoAck?: boolean; batchSize?: number; maxInFlight?: number } = {}) {
    const { autoAck, ...consumeOptions } = options;
    const collector = new DeliveryCollector<T>(on.consume<T>(name, { group, ...consumeOptions }), waitMs, { autoAck });
    collectors.push(collector as DeliveryCollector<unknown>);
    return collector;
  }

  /** The group's committed offset per partition (-1: none). */
  async function committed(name: string, group: string): Promise<number[]> {
    const [entry] = await admin.fetchOffsets({ groupId: group, topics: [name] });
    return (entry?.partitions ?? []).sort((a, b) => a.partition - b.partition).map((p) => Number(p.offset));
  }

  /** A new topic of `partitions` partitions holding `count` envelopes, and a new group name. */
  async function published(count: number, partitions: number, options: KafkaBrokerOptions = {}) {
    const name = topic();
    const on = broker({ partitions, ...options });
    await on.publish(name, envelopes(count));
    return { name, group: randomName('group'), on };
  }

  /** Six envelopes on a one-partition topic, received unacked in three deliveries of two. */
  async function sixInThreeDeliveries() {
    const { name, group, on } = await published(6, 1);
    const consumer = consume(on, name, group, { batchSize: 2, maxInFlight: 3 });
    await consumer.untilCount(6);
    const [first, second, third] = consumer.deliveries as [Delivery, Delivery, Delivery];
    return { name, group, on, consumer, first, second, third };
  }

  it('creates a topic with the configured partitions on first use, and leaves an existing one as it is', async () => {
    const name = topic();
    await broker({ partitions: 4 }).publish(name, envelopes(1));
    await broker({ partitions: 2 }).publish(name, envelopes(1));
    const { topics: [metadata] } = await admin.fetchTopicMetadata({ topics: [name] });
    expect(metadata?.partitions).toHaveLength(4);
  });

  it('keeps the publish order of each key while keys spread over all partitions', async () => {
    const name = topic();
    const on = broker({ partitions: 3 });
    const keys = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta'];
    const sent = envelopes(300, (i) => keys[i % keys.length]!);
    for (let i = 0; i < sent.length; i += 50) await on.publish(name, sent.slice(i, i + 50));
    const watermarks = await admin.fetchTopicOffsets(name);
    expect(watermarks.filter((partition) => Number(partition.high) > 0).length, 'partitions holding records').toBeGreaterThan(1);
    const consumer = consume<{ seq: number }>(on, name, randomName('group'), { autoAck: true, batchSize: 7 });
    await consumer.untilCount(sent.length);
    for (const key of keys) {
      const got = consumer.envelopes.filter((envelope) => envelope.key === key).map((envelope) => envelope.value.seq);
      expect(got, `order of key ${key}`).toEqual(sent.filter((envelope) => envelope.key === key).map((envelope) => envelope.value.seq));
    }
  });

  it('fills deliveries across partitions: one fetch of 30 records makes 3 deliveries of 10', async () => {
    const { name, group, on } = await published(30, 3);
    const consumer = consume(on, name, group, { batchSize: 10, maxInFlight: 3 });
    await consumer.untilCount(30);
    expect(consumer.deliveries.map((delivery) => delivery.envelopes.length)).toEqual([10, 10, 10]);
  });

  it('commits nothing before ack: a member that leaves without acking hands every record to the next', async () => {
    const { name, group, on } = await published(20, 3);
    const leaver = consume(on, name, group, { batchSize: 5, maxInFlight: 10 });
    await leaver.untilCount(20);
    expect(await committed(name, group)).toEqual([-1, -1, -1]);
    expect((await on.lag(name, group)).lag).toBe(20);
    leaver.stop();
    await expect(leaver.deliveries[0]!.ack(), 'ack after leaving the group').rejects.toThrow(/left group .* redelivered/);
    const next = consume(on, name, group, { autoAck: true });
    await next.untilKeys(keysOf(envelopes(20)));
    await next.settled();
    expect(next.deliveries.every((delivery) => delivery.attempt === 1), 'another member cannot know the records were seen').toBe(true);
    expect((await on.lag(name, group)).lag).toBe(0);
  });

  it('acks out of order commit only the contiguous prefix of a partition', async () => {
    const { name, group, on, consumer, first, second, third } = await sixInThreeDeliveries();
    await third.ack();
    await second.ack();
    expect(await committed(name, group), 'the first delivery is still unacked').toEqual([-1]);
    expect((await on.lag(name, group)).lag).toBe(6);
    await first.ack();
    expect(await committed(name, group)).toEqual([6]);
    expect((await on.lag(name, group)).lag).toBe(0);
  });

  it('nack rewinds its partition: later deliveries of it commit nothing, the records come again with attempt 2', async () => {
    const { name, group, on, consumer, first, second, third } = await sixInThreeDeliveries();
    /** The `index`th delivery, which must bring `keys` again. */
    const redelivery = async (index: number, keys: string[]) => {
      await consumer.until(() => consumer.deliveries.length > index, `delivery ${index + 1}: ${keys.join(', ')} again`);
      const delivery = consumer.deliveries[index]!;
      expect(keysOf(delivery.envelopes)).toEqual(keys);
      expect(delivery.attempt).toBe(2);
      return delivery;
    };
    await second.nack();
    const again = await redelivery(3, ['k-2', 'k-3']);
    await first.ack();
    await third.ack();
    expect(await committed(name, group), 'the third delivery was rewound by the nack').toEqual([2]);
    await again.ack();
    const last = await redelivery(4, ['k-4', 'k-5']);
    await last.ack();
    expect(await committed(name, group)).toEqual([6]);
  });

  it('a rebalance revokes unacked deliveries: acking them commits nothing, and their records come again', async () => {
    // Frequent heartbeats: members learn of the rebalance within a second, even on a loaded machine.
    const { name, group, on } = await published(30, 3, { heartbeatIntervalMs: 500, sessionTimeoutMs: 10_000 });
    const first = consume(on, name, group, { batchSize: 10, maxInFlight: 10 });
    await first.untilCount(30);
    const old = [...first.deliveries];
    const second = consume(on, name, group, { batchSize: 10, maxInFlight: 10 });
    // After the rebalance each member reads its partitions again from the committed offsets (none).
    await second.until(() => second.envelopes.length > 0, 'the second member to get records');
    await first.until(() => first.envelopes.length > 30, 'the first member to get its partitions again');
    const fresh = () => first.deliveries.slice(old.length);
    const again = () => new Set([...keysOf(fresh().flatMap((delivery) => delivery.envelopes)), ...second.keys]);
    for (const delivery of old) await delivery.ack();
    expect(await committed(name, group), 'acks of revoked deliveries').toEqual([-1, -1, -1]);
    await first.until(() => again().size === 30, 'all records again');
    expect(again()).toEqual(new Set(keysOf(envelopes(30))));
    expect(fresh().every((delivery) => delivery.attempt === 2), 'records this member saw before').toBe(true);
    for (const delivery of [...fresh(), ...second.deliveries]) await delivery.ack();
    expect((await on.lag(name, group)).lag).toBe(0);
  }, 3 * waitMs);

  it('lag is 0 for a topic that does not exist (without creating it), and counts a new group from the oldest record', async () => {
    const name = topic();
    const on = broker();
    expect(await on.lag(name, 'nobody')).toEqual({ topic: name, group: 'nobody', lag: 0 });
    expect(await admin.listTopics()).not.toContain(name);
    await on.publish(name, envelopes(12));
    expect((await on.lag(name, randomName('group'))).lag).toBe(12);
    await expect(on.lag(name, '')).rejects.toBeInstanceOf(ConfigError);
    await expect(on.lag('no/slashes', 'g')).rejects.toBeInstanceOf(ConfigError);
  });

  it('delivers a record not written by Sluice with its raw value and the reason in a header', async () => {
    const { name, group, on } = await published(1, 1);
    const producer = new kafkajs.Kafka({ brokers: [serviceUrls.kafka], logLevel: kafkajs.logLevel.NOTHING }).producer({
      createPartitioner: kafkajs.Partitioners.DefaultPartitioner,
    });
    await producer.connect();
    await producer.send({ topic: name, messages: [{ key: null, value: 'plain text, not JSON' }] });
    await producer.disconnect();
    const consumer = consume(on, name, group, { autoAck: true });
    await consumer.untilCount(2);
    const raw = consumer.envelopes[1]!;
    expect(raw.value).toBe('plain text, not JSON');
    expect(raw.headers[DECODE_ERROR_HEADER]).toMatch(/no key.*not JSON/);
  });
});

describe('kafka broker: unreachable cluster', () => {
  const options = { brokers: '127.0.0.1:1', retries: 0, connectionTimeoutMs: 300 };

  it('publish rejects with a retriable BrokerError naming the cluster', async () => {
    const on = createKafkaBroker(options);
    const error = await on.publish('topic_x', envelopes(1)).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(BrokerError);
    expect((error as BrokerError).retriable).toBe(true);
    expect((error as BrokerError).message).toMatch(/127\.0\.0\.1:1/);
    await on.close();
  });

  it('consume fails its observable with a retriable BrokerError', async () => {
    const on = createKafkaBroker(options);
    const error = await new DeliveryCollector(on.consume('topic_x', { group: 'g' }), waitMs).failed();
    expect(error).toBeInstanceOf(BrokerError);
    expect((error as BrokerError).retriable).toBe(true);
    await on.close();
  });
});
