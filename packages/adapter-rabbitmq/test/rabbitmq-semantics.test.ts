/**
 * What the RabbitMQ broker does beyond the contract — foreign messages, publisher confirms and
 * unroutable publishes, the delivery limit and dead letters, a lost connection, lag across brokers —
 * against a real RabbitMQ.
 */
import { BrokerError, isRetriable, RetryExhaustedError, type DeadLetter, type Delivery, type Envelope, type RetryNotice } from '@sluice/core';
import { DeliveryCollector, hostPort, randomName, rabbitmqUrl, requireService } from '@sluice/core/testkit';
import amqp from 'amqplib';
import type { Observable } from 'rxjs';
import { afterAll, describe, expect, it } from 'vitest';
import { startTcpProxy, type TcpProxy } from '../../../test/support/tcp-proxy.js';
import { DECODE_ERROR_HEADER, namesOf, type RabbitMqBroker, type RabbitMqBrokerOptions } from '../src/index.js';
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

/** The URL of the test RabbitMQ with its host and port replaced by the proxy's. */
function viaProxy(proxy: TcpProxy): string {
  const url = new URL(rabbitmqUrl);
  url.hostname = '127.0.0.1';
  url.port = String(proxy.port);
  return url.toString();
}

describe.skipIf(!reachable)('rabbitmq broker: RabbitMQ semantics', () => {
  const brokers = new TestBrokers();
  const open: RabbitMqBroker[] = [];
  const collectors: DeliveryCollector<unknown>[] = [];
  const proxies: TcpProxy[] = [];

  const broker = (options: RabbitMqBrokerOptions = {}): RabbitMqBroker => {
    const created = brokers.create(options);
    open.push(created);
    return created;
  };
  const collect = <T>(source: Observable<Delivery<T>>, autoAck = false) => {
    const collector = new DeliveryCollector<T>(source, waitMs, { autoAck });
    collectors.push(collector as DeliveryCollector<unknown>);
    return collector;
  };
  const proxy = async (): Promise<TcpProxy> => {
    const started = await startTcpProxy({ target: hostPort(rabbitmqUrl) });
    proxies.push(started);
    return started;
  };

  afterAll(async () => {
    for (const collector of collectors) collector.stop();
    await Promise.allSettled(open.map((each) => each.close()));
    await Promise.allSettled(proxies.map((each) => each.close()));
    await brokers.cleanup();
  });

  it('delivers a message not written by Sluice with a decode-error header instead of dropping it', async () => {
    const topic = randomName('topic');
    const group = randomName('group');
    const sluice = broker();
    await sluice.declareGroup(topic, group);
    const connection = await amqp.connect(rabbitmqUrl);
    try {
      const channel = await connection.createConfirmChannel();
      const exchange = namesOf(brokers.prefix).exchange(topic);
      channel.publish(exchange, '', Buffer.from('not json {'), { headers: { retries: 3, source: 'legacy' }, messageId: 'legacy-1' });
      channel.publish(exchange, '', Buffer.from('{"a":1}'), { timestamp: 1_700_000_000 });
      await channel.waitForConfirms();
    } finally {
      await connection.close();
    }
    const consumer = collect<unknown>(sluice.consume(topic, { group }), true);
    await consumer.untilCount(2);
    const [legacy, bare] = consumer.envelopes;
    expect(legacy).toMatchObject({ key: 'legacy-1', value: 'not json {', headers: { retries: '3', source: 'legacy' } });
    expect(legacy!.headers[DECODE_ERROR_HEADER]).toMatch(/no sluice-key header.*body is not JSON/);
    expect(bare).toMatchObject({ value: { a: 1 }, timestamp: 1_700_000_000_000 });
    expect(bare!.key).toMatch(/^sha1:[0-9a-f]{40}$/);
    expect(bare!.headers[DECODE_ERROR_HEADER]).toMatch(/no sluice-key header/);
    await consumer.settled();
    expect((await sluice.lag(topic, group)).lag).toBe(0);
  });

  it('keeps fractional, negative and huge timestamps and keys longer than a routing key', async () => {
    const topic = randomName('topic');
    const group = randomName('group');
    const sluice = broker({ groups: [group] });
    const sent: Envelope[] = [
      { key: 'x'.repeat(1000), value: 1, timestamp: 1.5, headers: {} },
      { key: 'neg', value: 2, timestamp: -86_400_000, headers: { h: 'ü' } },
      { key: 'huge', value: 3, timestamp: 8.64e15, headers: {} },
    ];
    await sluice.publish(topic, sent);
    const consumer = collect<unknown>(sluice.consume(topic, { group }), true);
    await consumer.untilCount(3);
    expect(consumer.envelopes).toEqual(sent);
  });

  it('refuses a publish RabbitMQ has no queue for, retriably, and keeps nothing of it', async () => {
    const topic = randomName('topic');
    const sluice = broker();
    const error = await sluice.publish(topic, envelopes(3)).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(BrokerError);
    expect(isRetriable(error)).toBe(true);
    expect(String((error as Error).message)).toMatch(/no consumer group bound.*declare the groups/);
    // A group declared afterwards gets only what comes after it.
    const group = randomName('group');
    await sluice.declareGroup(topic, group);
    expect((await sluice.lag(topic, group)).lag).toBe(0);
    await sluice.publish(topic, envelopes(2, 10));
    expect((await sluice.lag(topic, group)).lag).toBe(2);
  });

  it('declares the groups of the `groups` option before the first publish, so nothing is lost before they consume', async () => {
    const topic = randomName('topic');
    const sluice = broker({ groups: { [topic]: ['loader', 'audit'] } });
    await sluice.publish(topic, envelopes(5));
    for (const group of ['loader', 'audit']) {
      expect((await sluice.lag(topic, group)).lag).toBe(5);
      const consumer = collect<{ seq: number }>(sluice.consume(topic, { group }), true);
      await consumer.untilCount(5);
      expect(consumer.keys).toEqual(envelopes(5).map((envelope) => envelope.key));
    }
  });

  it('rejects a publish whose connection is cut before the confirms, retriably, and publishes again after it', async () => {
    const cut = await proxy();
    const topic = randomName('topic');
    const group = randomName('group');
    const sluice = broker({ url: viaProxy(cut), groups: [group] });
    await sluice.publish(topic, envelopes(1)); // connected and declared
    const big = Array.from({ length: 5000 }, (_, i) => ({ key: `big-${i}`, value: { pad: 'p'.repeat(500) }, timestamp: i, headers: {} }));
    const publishing = sluice.publish(topic, big).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    await cut.refuse();
    const error = await publishing;
    expect(error, 'a publish cut off before its confirms must reject').toBeInstanceOf(BrokerError);
    expect(isRetriable(error)).toBe(true);
    await cut.accept();
    await sluice.publish(topic, envelopes(1, 1));
    const reader = broker();
    const consumer = collect<unknown>(reader.consume(topic, { group, batchSize: 1000 }), true);
    await consumer.untilKeys(['k-0', 'k-1']);
  });

  it('dead-letters a message nacked past the delivery limit and hands it to a dead-letter sink with its reason', async () => {
    const topic = randomName('topic');
    const group = randomName('group');
    const sluice = broker({ deliveryLimit: 2, groups: [group] });
    await sluice.publish<unknown>(topic, [{ key: 'poison', value: { bad: true }, timestamp: 1, headers: {} }, ...envelopes(2)]);
    const attempts: number[] = [];
    const consumer = collect<unknown>(sluice.consume(topic, { group, batchSize: 1 }));
    const seen = new Set<unknown>();
    const settleAll = async () => {
      for (const delivery of consumer.deliveries) {
        if (seen.has(delivery)) continue;
        seen.add(delivery);
        if (delivery.envelopes[0]!.key === 'poison') {
          attempts.push(delivery.attempt);
          await delivery.nack();
        } else {
          await delivery.ack();
        }
      }
    };
    const deadline = Date.now() + waitMs;
    while ((await sluice.deadLetterCount(topic, group)) < 1) {
      if (Date.now() > deadline) throw new Error(`the poison message was not dead-lettered; attempts ${attempts.join(',')}`);
      await settleAll();
      await sleep(50);
    }
    await sleep(300);
    await settleAll();
    expect(attempts, 'deliveries of the poison message before RabbitMQ gave up').toEqual([1, 2, 3]);
    expect((await sluice.lag(topic, group)).lag).toBe(0);
    const letters: DeadLetter[] = [];
    const moved = await sluice.moveDeadLetters(topic, group, { name: 'test', write: async (batch) => void letters.push(...batch) });
    expect(moved).toBe(1);
    expect(letters[0]).toMatchObject({ origin: topic, key: 'poison', payload: '{"bad":true}' });
    expect(letters[0]!.reason).toMatch(/delivery limit/);
    expect(await sluice.deadLetterCount(topic, group)).toBe(0);
    // A group never declared has none, and asking declares nothing.
    expect(await sluice.moveDeadLetters(topic, randomName('group'), { name: 'test', write: async () => undefined })).toBe(0);
  });

  it('leaves dead letters in RabbitMQ when the sink fails', async () => {
    const topic = randomName('topic');
    const group = randomName('group');
    const sluice = broker({ deliveryLimit: 1, groups: [group] });
    await sluice.publish(topic, envelopes(1));
    const consumer = collect<unknown>(sluice.consume(topic, { group }));
    const deadline = Date.now() + waitMs;
    let nacked = 0;
    while ((await sluice.deadLetterCount(topic, group)) < 1) {
      if (Date.now() > deadline) throw new Error('not dead-lettered');
      for (const delivery of consumer.deliveries.slice(nacked)) await delivery.nack();
      nacked = consumer.deliveries.length;
      await sleep(50);
    }
    const failing = { name: 'failing', write: async () => Promise.reject(new Error('sink down')) };
    await expect(sluice.moveDeadLetters(topic, group, failing)).rejects.toThrow(/sink down/);
    // The envelope goes back to the quorum queue when the failed move's channel closes; the queue
    // process takes it back asynchronously, so its ready count shows it a moment later.
    const back = Date.now() + waitMs;
    while ((await sluice.deadLetterCount(topic, group)) === 0 && Date.now() < back) await sleep(50);
    expect(await sluice.deadLetterCount(topic, group)).toBe(1);
  });

  it('redelivers what a consumer held when its connection is lost, reconnects with backoff and reports it', async () => {
    const cut = await proxy();
    const topic = randomName('topic');
    const group = randomName('group');
    const notices: RetryNotice[] = [];
    const sluice = broker({ url: viaProxy(cut), groups: [group], heartbeatSeconds: 2, retry: { initialDelayMs: 50, maxDelayMs: 200, maxAttempts: 50 }, onRetry: (notice) => notices.push(notice) });
    await sluice.publish(topic, envelopes(10));
    const consumer = collect<{ seq: number }>(sluice.consume(topic, { group, batchSize: 10 }));
    await consumer.untilCount(10);
    const before = consumer.deliveries.length; // the ten may have come in more than one delivery
    expect(consumer.deliveries.every((delivery) => delivery.attempt === 1)).toBe(true);
    await cut.refuse();
    await sleep(300);
    await cut.accept();
    const after = () => consumer.deliveries.slice(before);
    await consumer.until(() => new Set(after().flatMap((d) => d.envelopes.map((e) => e.key))).size >= 10, 'the ten envelopes again after the reconnect');
    expect(after().map((delivery) => delivery.attempt)).toEqual(after().map(() => 2));
    // The old deliveries are revoked: acking them does nothing, and the new ones are acked normally.
    await Promise.all(consumer.deliveries.slice(0, before).map((delivery) => delivery.ack()));
    await Promise.all(after().map((delivery) => delivery.ack()));
    expect((await sluice.lag(topic, group)).lag).toBe(0);
    expect(notices.length, 'retry notices while RabbitMQ was unreachable').toBeGreaterThan(0);
  });

  it('fails the consumer with RetryExhaustedError once RabbitMQ stays away past the retry budget', async () => {
    const cut = await proxy();
    const topic = randomName('topic');
    const group = randomName('group');
    const sluice = broker({ url: viaProxy(cut), retry: { initialDelayMs: 20, maxDelayMs: 40, maxAttempts: 3 } });
    await sluice.declareGroup(topic, group);
    const consumer = collect<unknown>(sluice.consume(topic, { group }));
    await sleep(300);
    await cut.refuse();
    const error = await consumer.failed();
    expect(error).toBeInstanceOf(RetryExhaustedError);
    await cut.accept();
  });

  it('counts in lag what its own consumers hold, and only the ready messages for a broker that holds none', async () => {
    const topic = randomName('topic');
    const group = randomName('group');
    const holder = broker({ groups: [group] });
    const observer = broker();
    await holder.publish(topic, envelopes(30));
    const consumer = collect<unknown>(holder.consume(topic, { group, batchSize: 10, maxInFlight: 1 }));
    await consumer.untilCount(10);
    await sleep(200);
    expect((await holder.lag(topic, group)).lag).toBe(30);
    expect((await observer.lag(topic, group)).lag, 'lag seen by a broker that holds none of the unacked messages').toBe(20);
    // A group nobody declared has no queue: lag 0, and asking does not create it.
    const nobody = randomName('group');
    expect((await observer.lag(topic, nobody)).lag).toBe(0);
    await expect(observer.publish(topic, envelopes(1))).resolves.toBeUndefined();
    expect((await observer.lag(topic, nobody)).lag).toBe(0);
  });

  it('refuses an envelope AMQP cannot carry before sending anything of the batch', async () => {
    const topic = randomName('topic');
    const group = randomName('group');
    const sluice = broker({ groups: [group] });
    const huge = { key: 'big', value: 1, timestamp: 1, headers: { blob: 'x'.repeat(70_000) } };
    await expect(sluice.publish<unknown>(topic, [...envelopes(2), huge])).rejects.toThrow(/envelope 2 .*bytes of key and headers/);
    await expect(sluice.publish(topic, [{ key: 'k', value: 1, timestamp: 1, headers: { 'sluice-key': 'x' } }])).rejects.toThrow(/reserves/);
    await expect(sluice.publish(topic, [{ key: 'k', value: undefined, timestamp: 1, headers: {} }])).rejects.toThrow(/JSON/);
    expect((await sluice.lag(topic, group)).lag).toBe(0);
  });
});
