/**
 * Packed messages (`packEnvelopes: true`) against a real RabbitMQ, beyond the contract: a pack is
 * redelivered and dead-lettered whole, and consumers size their prefetch to the messages they get.
 */
import type { DeadLetter, Delivery, Envelope } from '@sluice/core';
import { DeliveryCollector, randomName, rabbitmqUrl, requireService } from '@sluice/core/testkit';
import type { Observable } from 'rxjs';
import { afterAll, describe, expect, it } from 'vitest';
import type { RabbitMqBroker, RabbitMqBrokerOptions } from '../src/index.js';
import { TestBrokers } from './helpers.js';

const waitMs = 15_000;
const reachable = await requireService('RabbitMQ', rabbitmqUrl, 'bash scripts/rabbitmq.sh start');

/** `count` envelopes keyed `k-<i>` with `{ seq: i }` values. */
function envelopes(count: number, from = 0): Envelope<{ seq: number }>[] {
  return Array.from({ length: count }, (_, i) => ({ key: `k-${from + i}`, value: { seq: from + i }, timestamp: 1_700_000_000_000 + i, headers: {} }));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

describe.skipIf(!reachable)('rabbitmq broker: packed messages', () => {
  const brokers = new TestBrokers();
  const open: RabbitMqBroker[] = [];
  const collectors: DeliveryCollector<unknown>[] = [];

  const broker = (options: RabbitMqBrokerOptions = {}): RabbitMqBroker => {
    const created = brokers.create(options);
    open.push(created);
    return created;
  };
  const collect = <T>(source: Observable<Delivery<T>>, onDelivery?: (delivery: Delivery<T>) => void) => {
    const collector = new DeliveryCollector<T>(source, waitMs, { onDelivery });
    collectors.push(collector as DeliveryCollector<unknown>);
    return collector;
  };

  afterAll(async () => {
    for (const collector of collectors) collector.stop();
    await Promise.allSettled(open.map((each) => each.close()));
    await brokers.cleanup();
  });

  it('requeues the whole pack when a delivery holding part of it is nacked, its acked part included', async () => {
    const topic = randomName('topic');
    const group = randomName('group');
    const sluice = broker({ packEnvelopes: true, groups: [group] });
    await sluice.publish(topic, envelopes(10));
    const consumer = collect<{ seq: number }>(sluice.consume(topic, { group, batchSize: 4, maxInFlight: 3 }));
    await consumer.until(() => consumer.deliveries.length >= 3, 'three deliveries of the pack');
    const [first, second, third] = consumer.deliveries;
    expect([first, second, third].map((delivery) => delivery!.envelopes.length)).toEqual([4, 4, 2]);
    await first!.ack();
    await second!.nack();
    await third!.ack();
    const again = () => consumer.deliveries.slice(3);
    await consumer.until(() => again().flatMap((d) => d.envelopes).length >= 10, 'the whole pack again');
    expect(again().flatMap((d) => d.envelopes.map((e) => e.key))).toEqual(envelopes(10).map((e) => e.key));
    expect(again().every((delivery) => delivery.attempt === 2)).toBe(true);
    await Promise.all(again().map((delivery) => delivery.ack()));
    expect((await sluice.lag(topic, group)).lag).toBe(0);
  });

  it('dead-letters a pack past the delivery limit as a whole and hands each of its envelopes to the sink', async () => {
    const topic = randomName('topic');
    const group = randomName('group');
    const sluice = broker({ packEnvelopes: true, deliveryLimit: 2, groups: [group] });
    await sluice.publish<unknown>(topic, [...envelopes(2), { key: 'poison', value: { bad: true }, timestamp: 1, headers: { why: 'test' } }]);
    const attempts: number[] = [];
    collect<unknown>(sluice.consume(topic, { group, batchSize: 10 }), (delivery) => {
      attempts.push(delivery.attempt);
      void delivery.nack();
    });
    const deadline = Date.now() + waitMs;
    while ((await sluice.deadLetterCount(topic, group)) < 1) {
      if (Date.now() > deadline) throw new Error(`the pack was not dead-lettered; attempts ${attempts.join(',')}`);
      await sleep(50);
    }
    expect(attempts).toEqual([1, 2, 3]);
    expect((await sluice.lag(topic, group)).lag).toBe(0);
    const letters: DeadLetter[] = [];
    const moved = await sluice.moveDeadLetters(topic, group, { name: 'test', write: async (batch) => void letters.push(...batch) });
    expect(moved).toBe(3);
    expect(letters.map((letter) => letter.key)).toEqual(['k-0', 'k-1', 'poison']);
    expect(letters[2]).toMatchObject({ origin: topic, payload: '{"bad":true}' });
    expect(letters[2]!.reason).toMatch(/delivery limit.*envelope 3 of 3 of a packed message/);
    expect(await sluice.deadLetterCount(topic, group)).toBe(0);
  });

  it('lowers the prefetch of a consumer that meets packs: it holds a few of them, not batchSize × maxInFlight', async () => {
    const topic = randomName('topic');
    const group = randomName('group');
    const producer = broker({ packEnvelopes: true, groups: [group] });
    const observer = broker();
    for (let pack = 0; pack < 80; pack++) await producer.publish(topic, envelopes(50, pack * 50));
    let acked = 0;
    // A broker without packEnvelopes starts at 25 × 2 = 50 messages, here 50 packs of 50 envelopes;
    // the packs it gets bring that down to 2.
    const consumer = collect<unknown>(broker().consume(topic, { group, batchSize: 25, maxInFlight: 2 }), (delivery) => {
      if (acked >= 60 * 50) return;
      acked += delivery.envelopes.length;
      void delivery.ack();
    });
    await consumer.until(() => acked >= 60 * 50, '60 packs acked');
    await sleep(300);
    // 80 packs − 60 acked − those the consumer holds: 20 with the first prefetch, about 3 with the one for packs.
    const ready = (await observer.lag(topic, group)).lag;
    expect(ready, 'packs still in the queue (the consumer holds the others)').toBeGreaterThanOrEqual(10);
  });

  it('raises the prefetch of a packing broker\'s consumer that meets unpacked messages: its deliveries fill up', async () => {
    const topic = randomName('topic');
    const group = randomName('group');
    const producer = broker({ groups: [group] });
    await producer.publish(topic, envelopes(300));
    // Expecting packs, it starts at 2 messages; single-envelope messages make it 100 × 1.
    const consumer = collect<unknown>(broker({ packEnvelopes: true }).consume(topic, { group, batchSize: 100, maxInFlight: 1 }), (delivery) => void delivery.ack());
    await consumer.untilCount(300);
    expect(consumer.deliveries.filter((delivery) => delivery.envelopes.length === 100).length, consumer.deliveries.map((d) => d.envelopes.length).join(',')).toBeGreaterThanOrEqual(2);
  });
});
