import { describe, expect, it } from 'vitest';
import { BrokerError, ConfigError } from '../errors.js';
import { DeliveryCollector, brokerContract } from '../testkit/broker-contract.js';
import { randomName } from '../testkit/services.js';
import type { ConsumeOptions, Delivery, Envelope } from '../types.js';
import { createMemoryBroker, type MemoryBroker, type MemoryBrokerOptions } from './memory-broker.js';

const WAIT_MS = 5_000;

describe('memory broker contract', () => {
  brokerContract(it, { create: async () => createMemoryBroker(), visibilityTimeoutMs: 300, waitMs: WAIT_MS });
});

describe('memory broker contract, publishers handing their envelopes over (copy: false)', () => {
  brokerContract(it, { create: async () => createMemoryBroker({ copy: false }), visibilityTimeoutMs: 300, waitMs: WAIT_MS });
});

type Seq = { seq: number };

function envelopes(count: number, from = 0): Envelope<Seq>[] {
  return Array.from({ length: count }, (_, i) => ({
    key: `k-${from + i}`,
    value: { seq: from + i },
    timestamp: 1_700_000_000_000 + from + i,
    headers: {},
  }));
}

interface Scenario {
  broker: MemoryBroker;
  topic: string;
  /** A consumer on the scenario's topic, stopped at the end; acks each delivery unless `autoAck` is false. */
  collect(options: ConsumeOptions, autoAck?: boolean): DeliveryCollector<Seq>;
}

/** A test with a fresh broker and topic; its consumers are stopped and the broker closed at the end. */
function scenario(name: string, body: (s: Scenario) => Promise<void>, options?: MemoryBrokerOptions): void {
  it(name, async () => {
    const broker = createMemoryBroker(options);
    const collectors: DeliveryCollector<Seq>[] = [];
    const topic = randomName('topic');
    const collect = (consume: ConsumeOptions, autoAck = true) => {
      const collector = new DeliveryCollector<Seq>(broker.consume(topic, consume), WAIT_MS, { autoAck });
      collectors.push(collector);
      return collector;
    };
    try {
      await body({ broker, topic, collect });
    } finally {
      for (const collector of collectors) collector.stop();
      await broker.close();
    }
  });
}

describe('memory broker', () => {
  scenario('trims entries every group has acked, so a long run keeps memory bounded', async ({ broker, topic, collect }) => {
    const fast = collect({ group: 'fast', batchSize: 500 });
    const slow = collect({ group: 'slow', batchSize: 500 }, false);
    for (let i = 0; i < 20; i++) await broker.publish(topic, envelopes(1_000, i * 1_000));
    await fast.untilCount(20_000);
    await fast.settled();
    expect(broker.retained(topic), 'retained while the slow group has acked nothing').toBe(20_000);
    for (let acked = 0; acked < 40; acked++) {
      await slow.until(() => slow.deliveries.length > acked, `delivery ${acked + 1} of the slow group`);
      await slow.deliveries[acked]!.ack();
      if (acked === 9) expect(broker.retained(topic), 'retained after the slow group acked 5,000').toBe(15_000);
    }
    expect(broker.retained(topic)).toBe(0);
    expect(fast.keys).toEqual(envelopes(20_000).map((e) => e.key));
    expect(slow.keys).toEqual(fast.keys);
  }, { maxRetained: 20_000 });

  scenario('keeps trimming correct across compactions while a consumer reads on', async ({ broker, topic, collect }) => {
    const consumer = collect({ group: 'g', batchSize: 300 });
    for (let i = 0; i < 10; i++) {
      await broker.publish(topic, envelopes(1_500, i * 1_500));
      await consumer.untilCount((i + 1) * 1_500);
      await consumer.settled();
      expect(broker.retained(topic)).toBe(0);
    }
    expect(consumer.envelopes.map((e) => e.value.seq)).toEqual(envelopes(15_000).map((e) => e.value.seq));
  });

  scenario('clones on publish: later changes to the published object are not seen by consumers', async ({ broker, topic, collect }) => {
    const original = { key: 'a', value: { nested: { n: 1 }, list: [1, 2] }, timestamp: 1, headers: { h: 'x' } };
    await broker.publish(topic, [original]);
    original.value.nested.n = 99;
    original.value.list.push(3);
    original.headers.h = 'changed';
    const consumer = collect({ group: 'g' });
    await consumer.untilCount(1);
    expect(consumer.envelopes[0]).toEqual({ key: 'a', value: { nested: { n: 1 }, list: [1, 2] }, timestamp: 1, headers: { h: 'x' } });
  });

  scenario('refuses a value that cannot be copied, naming the envelope, and publishes nothing of the batch', async ({ broker, topic }) => {
    const bad: Envelope[] = [...envelopes(2), { key: 'fn', value: { f: () => 1 }, timestamp: 1, headers: {} }];
    const error = await broker.publish(topic, bad).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BrokerError);
    expect((error as Error).message).toMatch(/envelope 2 \(key "fn"\)/);
    expect(broker.retained(topic)).toBe(0);
  });

  scenario('copies values that are not plain data (Date, Map, class instances) as structuredClone does', async ({ broker, topic, collect }) => {
    const value = { at: new Date(5), tags: new Map([['a', 1]]), seq: 1 };
    await broker.publish(topic, [{ key: 'd', value, timestamp: 1, headers: {} }]);
    value.at.setTime(99);
    value.tags.set('b', 2);
    const consumer = collect({ group: 'g' });
    await consumer.untilCount(1);
    expect(consumer.envelopes[0]!.value).toEqual({ at: new Date(5), tags: new Map([['a', 1]]), seq: 1 });
  });

  scenario(
    'with copy: false keeps the publisher\'s own values (ownership transfer): nothing is copied or checked',
    async ({ broker, topic, collect }) => {
      const original = { key: 'a', value: { seq: 1 }, timestamp: 1, headers: { h: 'x' } };
      await broker.publish(topic, [original]);
      original.key = 'changed';
      const consumer = collect({ group: 'g' });
      await consumer.untilCount(1);
      expect(consumer.envelopes[0]!.value).toBe(original.value);
      expect(consumer.envelopes[0]!.key, 'the envelope object itself is the broker\'s own').toBe('a');
      await broker.publish(topic, [{ key: 'fn', value: { f: () => 1 } as never, timestamp: 1, headers: {} }]);
      await consumer.untilCount(2);
      expect(consumer.keys).toEqual(['a', 'fn']);
    },
    { copy: false },
  );

  it('refuses a copy option that is not a boolean', () => {
    expect(() => createMemoryBroker({ copy: 'no' as never })).toThrow(ConfigError);
    expect(() => createMemoryBroker({ copy: 'no' as never })).toThrow(/copy must be true or false, got no/);
  });

  scenario('says which envelope is invalid and why', async ({ broker }) => {
    const bad: Envelope[] = [...envelopes(1), { key: 'x', value: 1, timestamp: Number.POSITIVE_INFINITY, headers: {} }];
    await expect(broker.publish('t', bad)).rejects.toThrow(/topic "t": envelope 1 \(key "x"\) has timestamp Infinity/);
    await expect(broker.publish('t', [{ ...envelopes(1)[0]!, headers: { n: 1 } as never }])).rejects.toThrow(/headers/);
    await expect(broker.publish('  ', envelopes(1))).rejects.toBeInstanceOf(ConfigError);
    await expect(broker.publish('t', 'nope' as never)).rejects.toThrow(/expected an array of envelopes/);
  });

  scenario('fails a consume with invalid options with a ConfigError naming the option', async ({ collect }) => {
    const error = await collect({ group: 'g', batchSize: 0 }).failed();
    expect(error).toBeInstanceOf(ConfigError);
    expect(error).toMatchObject({ option: 'batchSize' });
    expect(await collect({ group: '' }).failed()).toMatchObject({ option: 'group' });
    expect(() => createMemoryBroker({ maxInFlight: -1 })).toThrow(/maxInFlight must be a positive integer/);
  });

  scenario('close() rejects every later call and fails the streams of live consumers', async ({ broker, topic, collect }) => {
    await broker.publish(topic, envelopes(3));
    const live = collect({ group: 'g' }, false);
    await live.untilCount(3);
    await broker.close();
    expect(await live.failed()).toBeInstanceOf(BrokerError);
    await expect(live.deliveries[0]!.ack()).rejects.toThrow(/memory broker is closed/);
    await expect(broker.publish(topic, envelopes(1))).rejects.toThrow(/publish on topic .* failed: the memory broker is closed/);
    await expect(broker.lag(topic, 'g')).rejects.toBeInstanceOf(BrokerError);
  });

  scenario('spreads a topic over the members of a group', async ({ broker, topic, collect }) => {
    const a = collect({ group: 'g', batchSize: 10 }, false);
    const b = collect({ group: 'g', batchSize: 10 }, false);
    await broker.publish(topic, envelopes(100));
    await a.until(() => a.deliveries.length === 2 && b.deliveries.length === 2, 'two deliveries for each member', [b]);
    expect(a.keys.filter((key) => b.keys.includes(key))).toEqual([]);
  });

  scenario('starts a new group at the end of the topic with fromBeginning: false', async ({ broker, topic, collect }) => {
    await broker.publish(topic, envelopes(5));
    const late = collect({ group: 'late', fromBeginning: false });
    await broker.publish(topic, envelopes(2, 5));
    await late.untilCount(2);
    expect(late.keys).toEqual(['k-5', 'k-6']);
    expect((await broker.lag(topic, 'late')).lag).toBe(0);
  });

  scenario(
    'uses the broker-level visibility timeout for consumers that set none',
    async ({ broker, topic, collect }) => {
      await broker.publish(topic, envelopes(4));
      const crashed = collect({ group: 'g' }, false);
      await crashed.untilCount(4);
      crashed.stop();
      const survivor = collect({ group: 'g' });
      await survivor.untilCount(4);
      expect(survivor.deliveries[0]!.attempt).toBe(2);
    },
    { visibilityTimeoutMs: 50 },
  );

  scenario('counts an expired delivery as done when its holder acks it late', async ({ broker, topic, collect }) => {
    await broker.publish(topic, envelopes(3));
    const slow = collect({ group: 'g', visibilityTimeoutMs: 30, maxInFlight: 1 }, false);
    await slow.untilCount(3);
    const other = collect({ group: 'g', visibilityTimeoutMs: 60_000 }, false);
    await other.untilCount(3);
    await slow.deliveries[0]!.ack();
    expect((await broker.lag(topic, 'g')).lag).toBe(0);
    await other.deliveries[0]!.ack();
    expect((await broker.lag(topic, 'g')).lag).toBe(0);
    expect(broker.retained(topic)).toBe(0);
  });

  scenario('hands redelivered entries out before new ones and counts attempts per entry', async ({ broker, topic, collect }) => {
    await broker.publish(topic, envelopes(4));
    const consumer = collect({ group: 'g', batchSize: 2, maxInFlight: 1 }, false);
    await consumer.untilCount(2);
    await consumer.deliveries[0]!.nack();
    await consumer.until(() => consumer.deliveries.length === 2, 'the redelivery');
    expect(consumer.deliveries[1]).toMatchObject({ attempt: 2 });
    expect(consumer.keys.slice(2)).toEqual(['k-0', 'k-1']);
    await consumer.deliveries[1]!.ack();
    await consumer.until(() => consumer.deliveries.length === 3, 'the next new entries');
    expect(consumer.deliveries[2]).toMatchObject({ attempt: 1 });
    expect(consumer.keys.slice(4)).toEqual(['k-2', 'k-3']);
  });
});

describe('memory broker: publisher backpressure', () => {
  it('makes publish wait while a consumed topic retains maxRetained entries, and go on as acks trim it', async () => {
    const broker = createMemoryBroker({ maxRetained: 100 });
    const envelopes = (from: number) => Array.from({ length: 50 }, (_, i) => ({ key: `k${from + i}`, value: from + i, timestamp: 0, headers: {} }));
    const deliveries: Delivery<number>[] = [];
    const subscription = broker.consume<number>('t', { group: 'g', batchSize: 50, maxInFlight: 10 }).subscribe((d) => deliveries.push(d));
    await broker.publish('t', envelopes(0));
    await broker.publish('t', envelopes(50));
    let third = false;
    const publishing = broker.publish('t', envelopes(100)).then(() => (third = true));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(third).toBe(false);
    expect(broker.retained('t')).toBe(100);
    await deliveries[0]!.ack();
    await publishing;
    expect(broker.retained('t')).toBe(100);
    subscription.unsubscribe();
    await broker.close();
  });

  it('never makes publish wait on a topic nobody consumes', async () => {
    const broker = createMemoryBroker({ maxRetained: 10 });
    for (let i = 0; i < 5; i++) await broker.publish('t', Array.from({ length: 10 }, (_, j) => ({ key: `k${i}-${j}`, value: j, timestamp: 0, headers: {} })));
    expect(broker.retained('t')).toBe(50);
    await broker.close();
  });
});
