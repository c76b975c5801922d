/**
 * The broker contract: the behaviour every `Broker` adapter must show, as a vitest suite. An
 * adapter's suite file is a factory plus one call:
 *
 * ```ts
 * describe('redis broker', () => brokerContract(it, { create: () => createRedisBroker(url), visibilityTimeoutMs: 500 }));
 * ```
 *
 * Every case uses its own random topic and group, closes its broker at the end, and waits at most
 * `waitMs` for anything it expects, so a broken broker fails a case instead of hanging the run.
 */
import type { Observable, Subscription } from 'rxjs';
import { expect, type TestAPI } from 'vitest';
import { SluiceError } from '../errors.js';
import type { Broker, ConsumeOptions, Delivery, Envelope } from '../types.js';
import { randomName } from './services.js';

/** How `brokerContract` reaches and paces the broker under test. */
export interface BrokerContractOptions {
  /** A fresh broker (connected); each test calls it once and closes it at the end. */
  create(): Promise<Broker>;
  /** Visibility timeout the suite passes in ConsumeOptions for redelivery tests (small, e.g. 500 ms for memory/redis). */
  visibilityTimeoutMs: number;
  /** How long the suite waits for an expected delivery before failing (default 10 000; Kafka needs ~30 000). */
  waitMs?: number;
  /**
   * Whether a delivery held (unacked) by a LIVE consumer is redelivered to another member after the
   * visibility timeout. True for memory and Redis; Kafka only redelivers after the holder leaves the
   * group. Default true.
   */
  redeliversFromLiveConsumers?: boolean;
  /**
   * How long the suite watches for deliveries that must NOT come (a duplicate, a delivery beyond
   * `maxInFlight`) before it concludes none will. Default `waitMs / 20`, between 200 and 2 000 ms.
   */
  quietMs?: number;
  /**
   * For brokers that keep envelopes only for groups that exist when they are published (RabbitMQ: a
   * group is a queue, which receives only what is published after it exists): declares `group` on
   * `topic`. The suite calls it for each case's groups before publishing anything.
   */
  declareGroup?(broker: Broker, topic: string, group: string): Promise<void>;
}

/** A consumer under test: records what it receives, optionally acking each delivery at once. */
export class DeliveryCollector<T = unknown> {
  /** Every delivery received, in arrival order. */
  readonly deliveries: Delivery<T>[] = [];
  private failure: { error: unknown } | undefined;
  private completed = false;
  private readonly acks: Promise<void>[] = [];
  private readonly listeners = new Set<() => void>();
  private readonly subscription: Subscription;

  constructor(
    source: Observable<Delivery<T>>,
    private readonly waitMs: number,
    options: { autoAck?: boolean; onDelivery?: (delivery: Delivery<T>, collector: DeliveryCollector<T>) => void } = {},
  ) {
    this.subscription = source.subscribe({
      next: (delivery) => {
        this.deliveries.push(delivery);
        options.onDelivery?.(delivery, this);
        if (options.autoAck) {
          this.acks.push(new Promise<void>((resolve) => resolve(delivery.ack())).catch((error: unknown) => this.fail(error)));
        }
        this.notify();
      },
      error: (error: unknown) => this.fail(error),
      complete: () => {
        this.completed = true;
        this.notify();
      },
    });
  }

  /** All envelopes received, deliveries flattened in arrival order. */
  get envelopes(): Envelope<T>[] {
    return this.deliveries.flatMap((delivery) => delivery.envelopes);
  }

  /** Keys of all envelopes received, in arrival order (with repeats). */
  get keys(): string[] {
    return this.envelopes.map((envelope) => envelope.key);
  }

  /**
   * Resolves once `condition()` holds, checking it whenever this collector or one of `others`
   * receives something; rejects when one of them fails or completes first, or after `waitMs`.
   */
  until(condition: () => boolean, what: string, others: readonly DeliveryCollector<unknown>[] = []): Promise<void> {
    const all: DeliveryCollector<unknown>[] = [this as DeliveryCollector<unknown>, ...others];
    return this.wait(what, all, () => {
      if (condition()) return { done: true };
      const failed = all.find((collector) => collector.failure);
      if (failed) return { error: failed.failure!.error };
      if (all.some((collector) => collector.completed)) return { error: new Error(`a consumer completed before ${what}`) };
      return undefined;
    });
  }

  /** Resolves once the collector has received at least `count` envelopes. */
  untilCount(count: number): Promise<void> {
    return this.until(() => this.envelopes.length >= count, `${count} envelopes`);
  }

  /** Resolves once every key of `keys` has been received (at least once). */
  untilKeys(keys: readonly string[]): Promise<void> {
    return this.until(() => {
      const seen = new Set(this.keys);
      return keys.every((key) => seen.has(key));
    }, `all of ${keys.length} keys`);
  }

  /** Resolves with the error the consumer's observable failed with; rejects if none comes within `waitMs`. */
  failed(): Promise<unknown> {
    return this.wait('the consumer to fail', [this as DeliveryCollector<unknown>], () => {
      if (this.failure) return { done: true, value: this.failure.error };
      if (this.completed) return { error: new Error(`the consumer completed instead of failing; ${this.describe()}`) };
      return undefined;
    });
  }

  /** Resolves when every automatic ack issued so far has been recorded. */
  async settled(): Promise<void> {
    await Promise.all(this.acks);
    if (this.failure) throw this.failure.error;
  }

  /** Unsubscribes (for a consumer that never acked: a crash). Safe to call twice. */
  stop(): void {
    this.subscription.unsubscribe();
  }

  /** A line for failure messages. */
  describe(): string {
    return `received ${this.deliveries.length} deliveries with ${this.envelopes.length} envelopes`;
  }

  private fail(error: unknown): void {
    this.failure ??= { error };
    this.notify();
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }

  private wait<R>(
    what: string,
    collectors: readonly DeliveryCollector<unknown>[],
    check: () => { done?: true; value?: R; error?: unknown } | undefined,
  ): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      const stopListening = () => collectors.forEach((collector) => collector.listeners.delete(finish));
      const finish = () => {
        const outcome = check();
        if (!outcome) return;
        clearTimeout(timer);
        stopListening();
        if (outcome.done) resolve(outcome.value as R);
        else reject(outcome.error);
      };
      const timer = setTimeout(() => {
        stopListening();
        const seen = collectors.map((collector) => collector.describe()).join('; ');
        reject(new Error(`timed out after ${this.waitMs} ms waiting for ${what}; ${seen}`));
      }, this.waitMs);
      collectors.forEach((collector) => collector.listeners.add(finish));
      finish();
    });
  }
}

/** What `brokerContract` needs of vitest's `it` (and of `it.skipIf(...)`). */
type RegisterTest = (name: string, fn: () => Promise<void>, timeout?: number) => void;

/** Options of one consumer in a contract case. */
type ConsumerOptions<T> = Partial<ConsumeOptions> & {
  /** Ack each delivery as soon as it arrives. */
  autoAck?: boolean;
  /** Called for each delivery, after it is recorded and before it is auto-acked. */
  onDelivery?: (delivery: Delivery<T>, collector: DeliveryCollector<T>) => void;
};

/** What each contract case gets: a fresh broker, its own topic and group, and a consumer factory. */
interface CaseContext {
  broker: Broker;
  topic: string;
  group: string;
  /** Starts a consumer on the case's topic (group defaults to the case's group); stopped at the end. */
  consume<T = unknown>(options?: ConsumerOptions<T>): DeliveryCollector<T>;
}

/** `count` test envelopes with keys `k-<i>` (or the key `keyOf(i)`), `{ seq: i }` values and a `seq` header. */
function makeEnvelopes(count: number, keyOf: (i: number) => string = (i) => `k-${i}`): Envelope<{ seq: number }>[] {
  return Array.from({ length: count }, (_, i) => ({
    key: keyOf(i),
    value: { seq: i },
    timestamp: 1_700_000_000_000 + i,
    headers: { seq: String(i) },
  }));
}

/** Envelopes grouped by key, each group in the given order. */
function byKey<T>(envelopes: readonly Envelope<T>[]): Map<string, Envelope<T>[]> {
  const groups = new Map<string, Envelope<T>[]>();
  for (const envelope of envelopes) {
    const list = groups.get(envelope.key) ?? [];
    list.push(envelope);
    groups.set(envelope.key, list);
  }
  return groups;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function keysOf(envelopes: readonly Envelope[]): string[] {
  return envelopes.map((envelope) => envelope.key);
}

/**
 * Registers the broker contract cases with `it`. Call it inside a `describe` (optionally skipped
 * when the broker's server is unreachable).
 */
export function brokerContract(it: TestAPI, options: BrokerContractOptions): void {
  const waitMs = options.waitMs ?? 10_000;
  const visibilityMs = options.visibilityTimeoutMs;
  const quietMs = options.quietMs ?? Math.min(2_000, Math.max(200, waitMs / 20));
  /** Long enough that no redelivery by timeout happens while a case runs. */
  const noTimeoutMs = Math.max(60_000, waitMs * 10);
  const timeout = 5 * waitMs + 4 * visibilityMs + 10 * quietMs + 10_000;

  function contractCase(test: RegisterTest, name: string, body: (ctx: CaseContext) => Promise<void>): void {
    test(
      name,
      async () => {
        const broker = await options.create();
        const collectors: DeliveryCollector<unknown>[] = [];
        const ctx: CaseContext = {
          broker,
          topic: randomName('topic'),
          group: randomName('group'),
          consume<T>({ autoAck, onDelivery, ...consumeOptions }: ConsumerOptions<T> = {}) {
            const collector = new DeliveryCollector<T>(
              broker.consume<T>(ctx.topic, { group: ctx.group, consumer: randomName('member'), ...consumeOptions }),
              waitMs,
              { autoAck, onDelivery },
            );
            collectors.push(collector as DeliveryCollector<unknown>);
            return collector;
          },
        };
        let failure: unknown;
        try {
          await options.declareGroup?.(broker, ctx.topic, ctx.group);
          await body(ctx);
        } catch (error) {
          failure = error;
        }
        for (const collector of collectors) collector.stop();
        // A failing close must not hide the failure of the case itself.
        const closing = broker.close();
        if (failure !== undefined) {
          await closing.catch(() => undefined);
          throw failure;
        }
        await closing;
      },
      timeout,
    );
  }

  contractCase(it, 'round trip keeps key, value, timestamp and headers, in publish order per key', async (ctx) => {
    const sent: Envelope[] = [
      { key: 'a', value: { n: 1, f: -2.5, s: 'tab\t"quote" ü €', nested: { list: [1, 'two', null, true] } }, timestamp: 1_700_000_000_123, headers: {} },
      { key: 'b', value: 'a plain string', timestamp: 1_700_000_000_124, headers: { 'content-type': 'text/plain', 'trace-id': 'ü-1' } },
      { key: 'a', value: 42, timestamp: 1_700_000_000_125, headers: { source: 'contract' } },
      { key: 'c:with:colons', value: null, timestamp: 946_684_800_000, headers: { empty: '' } },
      { key: 'a', value: [{ deep: { deeper: [] } }, {}], timestamp: 1_700_000_000_127, headers: {} },
    ];
    await ctx.broker.publish(ctx.topic, sent.slice(0, 3));
    await ctx.broker.publish(ctx.topic, sent.slice(3));
    const consumer = ctx.consume({ autoAck: true });
    await consumer.untilCount(sent.length);
    expect(Object.fromEntries(byKey(consumer.envelopes))).toEqual(Object.fromEntries(byKey(sent)));
    expect(consumer.deliveries.every((delivery) => delivery.topic === ctx.topic)).toBe(true);
    expect(consumer.deliveries[0]?.attempt).toBe(1);
  });

  contractCase(it, 'keeps the publish order of each key for a single consumer, many keys interleaved', async (ctx) => {
    const keys = ['alpha', 'beta', 'gamma', 'delta', 'epsilon'];
    const sent = makeEnvelopes(300, (i) => keys[i % keys.length]!);
    for (let i = 0; i < sent.length; i += 50) await ctx.broker.publish(ctx.topic, sent.slice(i, i + 50));
    const consumer = ctx.consume<{ seq: number }>({ autoAck: true, batchSize: 7 });
    await consumer.untilCount(sent.length);
    for (const [key, list] of byKey(consumer.envelopes)) {
      const expected = sent.filter((envelope) => envelope.key === key).map((envelope) => envelope.value.seq);
      expect(list.map((envelope) => envelope.value.seq), `order of key ${key}`).toEqual(expected);
    }
    expect(consumer.envelopes).toHaveLength(sent.length);
  });

  contractCase(it, 'publishing an empty array is a no-op', async (ctx) => {
    await ctx.broker.publish(ctx.topic, []);
    expect((await ctx.broker.lag(ctx.topic, ctx.group)).lag).toBe(0);
    const [marker] = makeEnvelopes(1, () => 'marker');
    await ctx.broker.publish(ctx.topic, [marker!]);
    const consumer = ctx.consume({ autoAck: true });
    await consumer.untilCount(1);
    await sleep(quietMs);
    await consumer.settled();
    expect(consumer.envelopes).toEqual([marker]);
    expect(await ctx.broker.lag(ctx.topic, ctx.group)).toEqual({ topic: ctx.topic, group: ctx.group, lag: 0 });
  });

  contractCase(it, 'members of one group share the topic: disjoint sets whose union is everything', async (ctx) => {
    const a = ctx.consume({ autoAck: true, batchSize: 10, visibilityTimeoutMs: noTimeoutMs });
    const b = ctx.consume({ autoAck: true, batchSize: 10, visibilityTimeoutMs: noTimeoutMs });
    const sent = makeEnvelopes(100);
    await ctx.broker.publish(ctx.topic, sent);
    const all = keysOf(sent);
    await a.until(() => new Set([...a.keys, ...b.keys]).size >= all.length, 'both members together to receive everything', [b]);
    await Promise.all([a.settled(), b.settled()]);
    await sleep(quietMs);
    const overlap = a.keys.filter((key) => b.keys.includes(key));
    expect(overlap, 'keys delivered to both members').toEqual([]);
    expect([...a.keys, ...b.keys].sort()).toEqual([...all].sort());
  });

  contractCase(it, 'every group receives everything', async (ctx) => {
    const sent = makeEnvelopes(50);
    const otherGroup = randomName('group');
    await options.declareGroup?.(ctx.broker, ctx.topic, otherGroup);
    await ctx.broker.publish(ctx.topic, sent);
    const first = ctx.consume({ autoAck: true, batchSize: 20 });
    const second = ctx.consume({ autoAck: true, batchSize: 20, group: otherGroup });
    await Promise.all([first.untilCount(sent.length), second.untilCount(sent.length)]);
    expect(first.keys.sort()).toEqual(keysOf(sent).sort());
    expect(second.keys.sort()).toEqual(keysOf(sent).sort());
  });

  contractCase(it, 'acked entries are never delivered again, not even to a new member of the group', async (ctx) => {
    const sent = makeEnvelopes(20);
    await ctx.broker.publish(ctx.topic, sent);
    const first = ctx.consume({ autoAck: true, batchSize: 8, visibilityTimeoutMs: visibilityMs });
    await first.untilCount(sent.length);
    await first.settled();
    first.stop();
    const second = ctx.consume({ autoAck: true, visibilityTimeoutMs: visibilityMs });
    await ctx.broker.publish(ctx.topic, makeEnvelopes(1, () => 'marker'));
    await second.untilKeys(['marker']);
    await sleep(Math.max(quietMs, 2 * visibilityMs));
    await second.settled();
    expect(second.keys).toEqual(['marker']);
    expect((await ctx.broker.lag(ctx.topic, ctx.group)).lag).toBe(0);
  });

  contractCase(it, 'a consumer that leaves without acking (a crash) hands its entries to another member', async (ctx) => {
    const sent = makeEnvelopes(10);
    await ctx.broker.publish(ctx.topic, sent);
    const crashed = ctx.consume({ visibilityTimeoutMs: visibilityMs });
    await crashed.untilCount(sent.length);
    crashed.stop();
    const survivor = ctx.consume({ autoAck: true, visibilityTimeoutMs: visibilityMs });
    await survivor.untilKeys(keysOf(sent));
    await survivor.settled();
    expect(new Set(survivor.keys)).toEqual(new Set(keysOf(sent)));
    expect((await ctx.broker.lag(ctx.topic, ctx.group)).lag).toBe(0);
  });

  contractCase(it, 'nack() makes a delivery redeliverable at once, with attempt > 1', async (ctx) => {
    const sent = makeEnvelopes(5);
    await ctx.broker.publish(ctx.topic, sent);
    const consumer = ctx.consume({ visibilityTimeoutMs: noTimeoutMs });
    await consumer.until(() => consumer.deliveries.length >= 1, 'a first delivery');
    const first = consumer.deliveries[0]!;
    expect(first.attempt).toBe(1);
    const nacked = keysOf(first.envelopes);
    await first.nack();
    const later = () => consumer.deliveries.slice(1);
    await consumer.until(() => nacked.every((key) => later().some((d) => keysOf(d.envelopes).includes(key))), 'the nacked envelopes again');
    for (const delivery of later()) {
      if (keysOf(delivery.envelopes).some((key) => nacked.includes(key))) expect(delivery.attempt).toBeGreaterThan(1);
    }
    await Promise.all(later().map((delivery) => delivery.ack()));
    expect((await ctx.broker.lag(ctx.topic, ctx.group)).lag).toBe(0);
  });

  contractCase(
    it.skipIf(options.redeliversFromLiveConsumers === false),
    'an unacked delivery held by a live member goes to another member after the visibility timeout',
    async (ctx) => {
      const sent = makeEnvelopes(10);
      await ctx.broker.publish(ctx.topic, sent);
      const holder = ctx.consume({ maxInFlight: 1, visibilityTimeoutMs: visibilityMs });
      await holder.untilCount(sent.length);
      const other = ctx.consume({ autoAck: true, visibilityTimeoutMs: visibilityMs });
      await other.untilKeys(keysOf(sent));
      await other.settled();
      expect(other.deliveries.every((delivery) => delivery.attempt > 1)).toBe(true);
      expect((await ctx.broker.lag(ctx.topic, ctx.group)).lag).toBe(0);
    },
  );

  contractCase(it, 'maxInFlight bounds the unacked deliveries a consumer holds; an ack lets the next one through', async (ctx) => {
    const sent = makeEnvelopes(6);
    await ctx.broker.publish(ctx.topic, sent);
    let acked = 0;
    let mostHeld = 0;
    const consumer = ctx.consume({
      batchSize: 1,
      maxInFlight: 2,
      visibilityTimeoutMs: noTimeoutMs,
      onDelivery: (_, collector) => {
        mostHeld = Math.max(mostHeld, collector.deliveries.length - acked);
      },
    });
    await consumer.until(() => consumer.deliveries.length >= 2, 'two deliveries');
    await sleep(quietMs);
    expect(consumer.deliveries, 'deliveries held without any ack').toHaveLength(2);
    for (let next = 3; next <= sent.length; next++) {
      acked++;
      await consumer.deliveries[acked - 1]!.ack();
      await consumer.until(() => consumer.deliveries.length >= next, `delivery ${next} after ${acked} acks`);
    }
    expect(mostHeld, 'most unacked deliveries held at once').toBeLessThanOrEqual(2);
    // Order is promised per key only (Kafka keeps it within a partition, not across them).
    expect(Object.fromEntries(byKey(consumer.envelopes))).toEqual(Object.fromEntries(byKey(sent)));
  });

  contractCase(it, 'lag counts what the group has not acked and falls to 0 once everything is acked', async (ctx) => {
    const sent = makeEnvelopes(30);
    await ctx.broker.publish(ctx.topic, sent);
    expect(await ctx.broker.lag(ctx.topic, ctx.group)).toEqual({ topic: ctx.topic, group: ctx.group, lag: 30 });
    const consumer = ctx.consume({ batchSize: 10, maxInFlight: 3, visibilityTimeoutMs: noTimeoutMs });
    await consumer.untilCount(sent.length);
    expect((await ctx.broker.lag(ctx.topic, ctx.group)).lag, 'lag while all is delivered but unacked').toBe(30);
    const [first, ...rest] = consumer.deliveries;
    await first!.ack();
    expect((await ctx.broker.lag(ctx.topic, ctx.group)).lag).toBe(30 - first!.envelopes.length);
    for (const delivery of rest) await delivery.ack();
    expect((await ctx.broker.lag(ctx.topic, ctx.group)).lag).toBe(0);
  });

  contractCase(it, 'delivers 1,200 envelopes published in batches exactly once in total when acked', async (ctx) => {
    const sent = makeEnvelopes(1_200);
    const batches = Array.from({ length: 12 }, (_, i) => sent.slice(i * 100, (i + 1) * 100));
    await Promise.all(batches.map((batch) => ctx.broker.publish(ctx.topic, batch)));
    const consumer = ctx.consume({ autoAck: true, batchSize: 100, visibilityTimeoutMs: noTimeoutMs });
    await consumer.until(() => new Set(consumer.keys).size >= sent.length, `${sent.length} distinct keys`);
    await consumer.settled();
    await sleep(quietMs);
    expect(consumer.envelopes).toHaveLength(sent.length);
    expect(new Set(consumer.keys)).toEqual(new Set(keysOf(sent)));
    expect((await ctx.broker.lag(ctx.topic, ctx.group)).lag).toBe(0);
  });

  contractCase(it, 'publish rejects invalid input with a SluiceError, and accepts nothing of the batch', async (ctx) => {
    const [good] = makeEnvelopes(1);
    const bad: unknown[][] = [
      [{ ...good, key: 42 }],
      [{ ...good, timestamp: Number.NaN }],
      [{ ...good, timestamp: '2024-01-01' }],
      [good, null],
    ];
    await expect(ctx.broker.publish('', [good!])).rejects.toBeInstanceOf(SluiceError);
    for (const envelopes of bad) {
      await expect(ctx.broker.publish(ctx.topic, envelopes as Envelope[])).rejects.toBeInstanceOf(SluiceError);
    }
    expect((await ctx.broker.lag(ctx.topic, ctx.group)).lag, 'envelopes accepted from rejected batches').toBe(0);
  });

  contractCase(it, 'after close() every call rejects, and close() may be called again', async (ctx) => {
    await ctx.broker.close();
    await expect(ctx.broker.publish(ctx.topic, makeEnvelopes(1))).rejects.toThrow();
    await expect(ctx.broker.lag(ctx.topic, ctx.group)).rejects.toThrow();
    expect(await ctx.consume().failed()).toBeInstanceOf(Error);
    await ctx.broker.close();
  });
}
