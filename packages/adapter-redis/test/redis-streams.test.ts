/**
 * Redis-specific behaviour of the broker, against a real Redis: claiming a dead member's entries,
 * trimming, surviving killed connections, lag, entries not written by Sluice.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BrokerError, retry, type Delivery } from '@sluice/core';
import { DeliveryCollector, randomName, requireService, serviceUrls } from '@sluice/core/testkit';
import { DECODE_ERROR_HEADER, ENVELOPE_FIELD } from '../src/index.js';
import { RedisBench, envelopes, eventually } from './helpers.js';

const up = await requireService('Redis', serviceUrls.redis);
const WAIT_MS = 15_000;
/** Long enough that nothing is redelivered by timeout while a test runs. */
const NO_TIMEOUT_MS = 120_000;

describe.skipIf(!up)('redis streams broker', () => {
  const bench = new RedisBench();
  beforeAll(() => bench.start());
  afterEach(() => bench.cleanup());
  afterAll(() => bench.stop());

  it("hands a dead member's pending entries to another member once they are idle (XAUTOCLAIM)", async () => {
    const topic = randomName('topic');
    const group = randomName('group');
    const doomed = bench.broker();
    const survivorBroker = bench.broker();
    const key = survivorBroker.streamKey(topic);
    const sent = envelopes(12);
    await survivorBroker.publish(topic, sent);

    const dead = new DeliveryCollector(doomed.consume(topic, { group, consumer: 'dead', batchSize: 5, visibilityTimeoutMs: 300 }), WAIT_MS);
    await dead.untilCount(10);
    await doomed.close(); // the member dies with two deliveries unacked
    const before = await bench.admin.xPending(key, group);
    expect(before.consumers).toEqual([{ name: 'dead', deliveriesCounter: 10 }]);

    const survivor = new DeliveryCollector(
      survivorBroker.consume<{ seq: number }>(topic, { group, consumer: 'survivor', batchSize: 5, visibilityTimeoutMs: 300 }),
      WAIT_MS,
      { autoAck: true },
    );
    await survivor.untilKeys(sent.map((e) => e.key));
    await survivor.settled();
    const claimed = survivor.deliveries.filter((d) => d.envelopes.some((e) => e.value.seq < 10));
    expect(claimed.length).toBeGreaterThan(0);
    expect(claimed.every((d) => d.attempt >= 2)).toBe(true);
    expect(new Set(survivor.keys)).toEqual(new Set(sent.map((e) => e.key)));
    expect((await bench.admin.xPending(key, group)).pending).toBe(0);
  });

  it('a nacked delivery is claimable at once by another member, whatever its visibility timeout', async () => {
    const topic = randomName('topic');
    const group = randomName('group');
    const broker = bench.broker({ claimIntervalMs: 50 });
    await broker.publish(topic, envelopes(3));
    const first = new DeliveryCollector(broker.consume(topic, { group, maxInFlight: 1, visibilityTimeoutMs: NO_TIMEOUT_MS }), WAIT_MS);
    await first.untilCount(3);
    const second = new DeliveryCollector(broker.consume(topic, { group, visibilityTimeoutMs: NO_TIMEOUT_MS }), WAIT_MS, { autoAck: true });
    first.stop(); // the first member leaves, so only the second one can take the nacked entries
    await first.deliveries[0]!.nack();
    await second.untilCount(3);
    await second.settled();
    expect(second.deliveries[0]!.attempt).toBe(2);
    expect((await broker.lag(topic, group)).lag).toBe(0);
  });

  it('trims what every group acked, never what a slower group or a group that got nothing still needs', async () => {
    const topic = randomName('topic');
    const broker = bench.broker();
    const key = broker.streamKey(topic);
    const sent = envelopes(10);
    await broker.publish(topic, sent);
    await bench.admin.xGroupCreate(key, 'idle', '0');

    const fast = new DeliveryCollector(broker.consume(topic, { group: 'fast', batchSize: 10 }), WAIT_MS, { autoAck: true });
    await fast.untilCount(10);
    await fast.settled();
    const slow = new DeliveryCollector<{ seq: number }>(
      broker.consume(topic, { group: 'slow', batchSize: 4, maxInFlight: 2, visibilityTimeoutMs: NO_TIMEOUT_MS }),
      WAIT_MS,
    );
    await slow.untilCount(8);
    await slow.deliveries[0]!.ack();
    await slow.untilCount(10);

    expect(await broker.trim(topic), 'a group that has received nothing keeps everything').toBe(0);
    expect(await bench.admin.xLen(key)).toBe(10);

    await bench.admin.xGroupDestroy(key, 'idle');
    expect(await broker.trim(topic)).toBe(4);
    expect(await bench.admin.xLen(key)).toBe(6);
    const [oldest] = await bench.stored(key, 1);
    expect(oldest!.value).toEqual({ seq: 4 });

    await slow.deliveries[1]!.ack();
    expect(await broker.trim(topic)).toBe(4);
    expect(await bench.admin.xLen(key)).toBe(2);
    expect((await broker.lag(topic, 'slow')).lag, 'lag after trimming').toBe(2);
    expect((await broker.lag(topic, 'fast')).lag).toBe(0);

    await slow.deliveries[2]!.ack();
    fast.stop();
    slow.stop();
    await broker.publish(topic, envelopes(1, 'late-'));
    expect(await broker.trim(topic), 'the entry no group has received stays').toBe(2);
    expect(await bench.admin.xLen(key)).toBe(1);
    expect((await broker.lag(topic, 'slow')).lag).toBe(1);
    expect((await broker.lag(topic, 'fast')).lag).toBe(1);
  });

  it('trims by timer, not per ack', async () => {
    const topic = randomName('topic');
    const broker = bench.broker({ trimIntervalMs: 50 });
    const key = broker.streamKey(topic);
    await broker.publish(topic, envelopes(20));
    const consumer = new DeliveryCollector(broker.consume(topic, { group: 'g', batchSize: 5 }), WAIT_MS, { autoAck: true });
    await consumer.untilCount(20);
    await consumer.settled();
    await eventually(async () => (await bench.admin.xLen(key)) === 0, 'the timer to trim the acked stream');
  });

  it('a consumer whose connection is killed mid-run goes on, and receives every entry exactly once', async () => {
    const topic = randomName('topic');
    const group = randomName('group');
    const broker = bench.broker();
    const consumer = new DeliveryCollector(
      broker.consume(topic, { group, consumer: 'victim', batchSize: 25, visibilityTimeoutMs: NO_TIMEOUT_MS }),
      WAIT_MS,
      { autoAck: true },
    );
    const sent = envelopes(1_000);
    for (let i = 0; i < sent.length; i += 50) {
      await broker.publish(topic, sent.slice(i, i + 50));
      if (i % 200 === 0) {
        // Kill the consumer's connection once it is (back) up, while entries keep coming.
        await eventually(async () => (await bench.kill(`${bench.clientName}:consume:`)) > 0, "the consumer's connection");
      }
    }
    await consumer.untilKeys(sent.map((e) => e.key));
    await consumer.settled();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(consumer.keys).toHaveLength(sent.length);
    expect(new Set(consumer.keys)).toEqual(new Set(sent.map((e) => e.key)));
    expect((await broker.lag(topic, group)).lag).toBe(0);
  });

  it('after a reconnect, hands out its own pending entries whose reply was lost (read from 0)', async () => {
    const topic = randomName('topic');
    const group = randomName('group');
    const broker = bench.broker();
    const key = broker.streamKey(topic);
    await broker.publish(topic, envelopes(3));
    const consumer = new DeliveryCollector(
      broker.consume(topic, { group, consumer: 'member', maxInFlight: 1, visibilityTimeoutMs: NO_TIMEOUT_MS }),
      WAIT_MS,
    );
    await consumer.untilCount(3); // holds its only delivery: the loop waits and reads nothing more
    await broker.publish(topic, envelopes(4, 'lost-'));
    // Take the new entries under the member's name, as a read whose reply the connection lost.
    const read = await bench.admin.xReadGroup(group, 'member', { key, id: '>' });
    expect(read?.[0]?.messages).toHaveLength(4);
    await eventually(async () => (await bench.kill(`${bench.clientName}:consume:`)) > 0, "the consumer's connection");
    await consumer.deliveries[0]!.ack();
    await consumer.untilKeys(envelopes(4, 'lost-').map((e) => e.key));
    await Promise.all(consumer.deliveries.slice(1).map((delivery) => delivery.ack()));
    expect(consumer.keys.filter((k) => k.startsWith('lost-')).sort()).toEqual(['lost-0', 'lost-1', 'lost-2', 'lost-3']);
    expect((await bench.admin.xPending(key, group)).pending).toBe(0);
  });

  it('publish and ack while the shared connection is killed reject retriably or succeed; nothing is lost', async () => {
    const topic = randomName('topic');
    const group = randomName('group');
    const broker = bench.broker();
    const key = broker.streamKey(topic);
    const sent = envelopes(600);
    const failures: unknown[] = [];
    const killShared = () => eventually(async () => (await bench.kill(`${bench.clientName}:broker`)) > 0, 'the shared connection');
    const retrying = <R>(fn: () => Promise<R>) =>
      retry(fn, { operation: 'test', policy: { initialDelayMs: 10, maxAttempts: 20 }, onRetry: ({ error }) => failures.push(error) });
    for (let i = 0; i < sent.length; i += 30) {
      if (i % 90 === 0 && i > 0) await killShared();
      await retrying(() => broker.publish(topic, sent.slice(i, i + 30)));
    }
    expect(failures.every((error) => error instanceof BrokerError && error.retriable)).toBe(true);
    const stored = new Set((await bench.stored(key)).map((envelope) => envelope.key));
    expect(stored).toEqual(new Set(sent.map((e) => e.key)));

    const consumer = new DeliveryCollector(broker.consume(topic, { group, batchSize: 100, maxInFlight: 6, visibilityTimeoutMs: NO_TIMEOUT_MS }), WAIT_MS);
    await consumer.until(() => new Set(consumer.keys).size >= sent.length, 'every entry');
    const acked: Delivery[] = [];
    for (const delivery of consumer.deliveries) {
      await killShared();
      await retrying(() => delivery.ack());
      acked.push(delivery);
    }
    expect(failures.every((error) => error instanceof BrokerError && error.retriable)).toBe(true);
    expect((await bench.admin.xPending(key, group)).pending, 'entries of resolved acks still pending').toBe(0);
  });

  it('counts lag as entries the group has not acked: pending plus not yet delivered', async () => {
    const topic = randomName('topic');
    const broker = bench.broker();
    expect(await broker.lag(topic, 'g')).toEqual({ topic, group: 'g', lag: 0 });
    await broker.publish(topic, envelopes(10));
    expect((await broker.lag(topic, 'g')).lag, 'a group not made yet starts at the oldest entry').toBe(10);

    const consumer = new DeliveryCollector(broker.consume(topic, { group: 'g', batchSize: 3, maxInFlight: 1, visibilityTimeoutMs: NO_TIMEOUT_MS }), WAIT_MS);
    await consumer.untilCount(3);
    expect((await broker.lag(topic, 'g')).lag, '3 pending + 7 undelivered').toBe(10);
    await consumer.deliveries[0]!.ack();
    await consumer.untilCount(6);
    expect((await broker.lag(topic, 'g')).lag).toBe(7);
    await broker.publish(topic, envelopes(5, 'more-'));
    expect((await broker.lag(topic, 'g')).lag).toBe(12);

    const latecomer = new DeliveryCollector(broker.consume(topic, { group: 'late', fromBeginning: false }), WAIT_MS, { autoAck: true });
    const key = broker.streamKey(topic);
    await eventually(async () => (await bench.admin.xInfoGroups(key)).some((g) => g.name === 'late'), 'the late group');
    expect((await broker.lag(topic, 'late')).lag, 'a group made with fromBeginning: false').toBe(0);
    await broker.publish(topic, envelopes(1, 'last-'));
    await latecomer.untilKeys(['last-0']);
    await latecomer.settled();
    expect((await broker.lag(topic, 'late')).lag).toBe(0);
    expect(latecomer.keys).toEqual(['last-0']);
  });

  it('delivers an entry not written by Sluice, with a header saying what is wrong', async () => {
    const topic = randomName('topic');
    const broker = bench.broker();
    const id = await bench.admin.xAdd(broker.streamKey(topic), '*', { value: '{not json' });
    const consumer = new DeliveryCollector(broker.consume(topic, { group: 'g' }), WAIT_MS, { autoAck: true });
    await consumer.untilCount(1);
    const [envelope] = consumer.envelopes;
    expect(envelope).toMatchObject({ key: id, value: '{not json', timestamp: 0 });
    expect(envelope!.headers[DECODE_ERROR_HEADER]).toMatch(/field "key" is missing; field "value" is not JSON/);
  });

  it('reads a stream that holds entries of the earlier four-field format and of the current one', async () => {
    const topic = randomName('topic');
    const broker = bench.broker();
    const key = broker.streamKey(topic);
    const [first, second, third] = envelopes(3).map((e) => ({ ...e, headers: { source: 'old.csv' } }));
    const legacy = (e: typeof first) => ({ key: e!.key, value: JSON.stringify(e!.value), timestamp: String(e!.timestamp), headers: JSON.stringify(e!.headers) });
    await bench.admin.xAdd(key, '*', legacy(first));
    await broker.publish(topic, [second!]);
    await bench.admin.xAdd(key, '*', legacy(third));
    const consumer = new DeliveryCollector(broker.consume(topic, { group: 'g' }), WAIT_MS, { autoAck: true });
    await consumer.untilCount(3);
    expect(consumer.envelopes).toEqual([first, second, third]);
    const [entry] = await bench.admin.xRange(key, '-', '+', { COUNT: 2 }).then((entries) => entries.slice(1));
    expect(Object.keys(entry!.message)).toEqual([ENVELOPE_FIELD]);
  });

  it('delivers a malformed envelope field, with a header saying what is wrong', async () => {
    const topic = randomName('topic');
    const broker = bench.broker();
    const id = await bench.admin.xAdd(broker.streamKey(topic), '*', { [ENVELOPE_FIELD]: 'no line feeds' });
    const consumer = new DeliveryCollector(broker.consume(topic, { group: 'g' }), WAIT_MS, { autoAck: true });
    await consumer.untilCount(1);
    const [envelope] = consumer.envelopes;
    expect(envelope).toMatchObject({ key: id, value: 'no line feeds', timestamp: 0 });
    expect(envelope!.headers[DECODE_ERROR_HEADER]).toMatch(/field "envelope" is not <timestamp>, <headers>, <value> and <key>/);
  });

  it('close() completes running consumers; their deliveries then refuse to ack, and stay pending', async () => {
    const topic = randomName('topic');
    const broker = bench.broker();
    await broker.publish(topic, envelopes(2));
    const deliveries: Delivery[] = [];
    let completed = false;
    broker.consume(topic, { group: 'g', visibilityTimeoutMs: NO_TIMEOUT_MS }).subscribe({
      next: (delivery) => deliveries.push(delivery),
      complete: () => (completed = true),
    });
    await eventually(() => deliveries.length > 0, 'a delivery');
    await broker.close();
    expect(completed).toBe(true);
    const error = await deliveries[0]!.ack().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BrokerError);
    expect((error as BrokerError).retriable).toBe(false);
    expect((error as BrokerError).message).toMatch(/broker is closed/);
    expect((await bench.admin.xPending(broker.streamKey(topic), 'g')).pending).toBe(2);
  });

  it('works on a client the caller made, and leaves it open on close()', async () => {
    const topic = randomName('topic');
    const client = bench.admin.duplicate();
    client.on('error', () => undefined);
    await client.connect();
    const broker = bench.broker({ client });
    await broker.publish(topic, envelopes(5));
    const consumer = new DeliveryCollector(broker.consume(topic, { group: 'g' }), WAIT_MS, { autoAck: true });
    await consumer.untilCount(5);
    await consumer.settled();
    await broker.close();
    expect(client.isReady).toBe(true);
    expect(await client.xLen(broker.streamKey(topic))).toBe(5);
    await client.close();
  });
});
