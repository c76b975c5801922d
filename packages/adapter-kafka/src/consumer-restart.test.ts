/**
 * What a consumer session does when kafkajs gives up on its consumer: a lost cluster gets a new
 * consumer, anything else fails the subscription. kafkajs is scripted here (crash events cannot be
 * provoked on cue from a real cluster); the fault rig (`test/faults`) cuts a real one.
 */
import { EventEmitter } from 'node:events';
import { BrokerError, resolveConsumeOptions, type Delivery, type RetryNotice } from '@sluice/core';
import type { Consumer, Kafka } from 'kafkajs';
import { Subscriber } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { ConsumerSession, type SessionHost } from './consumer.js';
import { resolveKafkaOptions } from './options.js';

/** A kafkajs-shaped error (name, retriable, cause). */
function kafkaError(name: string, retriable: boolean, cause?: unknown): Error {
  return Object.assign(new Error(name), { name, retriable, cause });
}

const events = { GROUP_JOIN: 'consumer.group_join', FETCH_START: 'consumer.fetch_start', CRASH: 'consumer.crash' } as const;

/** A kafkajs consumer that joins nothing; `crash` emits what kafkajs emits after it gave up and disconnected. */
class ScriptedConsumer extends EventEmitter {
  readonly events = events;
  connectError: Error | undefined;
  disconnected = false;
  async connect(): Promise<void> {
    if (this.connectError) throw this.connectError;
  }
  async subscribe(): Promise<void> {}
  async run(): Promise<void> {}
  async disconnect(): Promise<void> {
    this.disconnected = true;
  }
  crash(error: Error, restart: boolean): void {
    this.disconnected = true;
    this.emit(events.CRASH, { payload: { error, groupId: 'g', restart } });
  }
}

/** A session on a host whose kafkajs clients hand out scripted consumers, one per (re)start. */
function scriptedSession(prepare: (consumer: ScriptedConsumer, index: number) => void = () => undefined) {
  const consumers: ScriptedConsumer[] = [];
  const notices: RetryNotice[] = [];
  const host: SessionHost = {
    options: resolveKafkaOptions({ brokers: '127.0.0.1:9092', onRetry: (notice) => notices.push(notice) }, {}),
    client: () =>
      ({
        consumer: () => {
          const consumer = new ScriptedConsumer();
          prepare(consumer, consumers.length);
          consumers.push(consumer);
          return consumer as unknown as Consumer;
        },
      }) as unknown as Kafka,
    ensureTopic: async () => undefined,
    isClosed: () => false,
  };
  let failure: unknown;
  const subscriber = new Subscriber<Delivery<unknown>>({
    next: () => undefined,
    complete: () => undefined,
    error: (error: unknown) => (failure = error),
  });
  const session = new ConsumerSession('t', resolveConsumeOptions('t', { group: 'g' }), subscriber, host);
  session.start();
  return { session, consumers, notices, failed: () => failure };
}

const until = async (condition: () => boolean, ms = 5000) => {
  for (const start = Date.now(); !condition(); ) {
    if (Date.now() - start > ms) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

const coordinatorNotFound = () =>
  kafkaError('KafkaJSNonRetriableError', false, kafkaError('KafkaJSGroupCoordinatorNotFound', false));

describe('consumer session: kafkajs gives up on its consumer', () => {
  it('starts a new consumer when no broker could name the group coordinator (kafkajs calls that final)', async () => {
    const { session, consumers, failed } = scriptedSession();
    await until(() => consumers.length === 1);
    consumers[0]!.crash(coordinatorNotFound(), false);
    await until(() => consumers.length === 2);
    expect(failed()).toBeUndefined();
    session.stop();
    await session.done;
    expect(consumers[1]!.disconnected).toBe(true);
  });

  it('keeps rejoining while the cluster refuses connections, then reads on', async () => {
    const refused = kafkaError('KafkaJSConnectionError', true);
    const { session, consumers, notices, failed } = scriptedSession((consumer, index) => {
      if (index === 1 || index === 2) consumer.connectError = refused;
    });
    await until(() => consumers.length === 1);
    consumers[0]!.crash(coordinatorNotFound(), false);
    await until(() => consumers.length === 4);
    expect(failed()).toBeUndefined();
    // Each restart is told as a retry notice, counted within the outage.
    expect(notices.map((n) => [n.attempt, n.delayMs, (n.error as BrokerError).retriable])).toEqual([
      [1, 1000, true],
      [2, 1000, true],
      [3, 1000, true],
    ]);
    expect(notices[0]!.operation).toMatch(/consume t in group "g"/);
    session.stop();
  });

  it('fails the subscription with a final error when the failure is not a lost cluster', async () => {
    const denied = Object.assign(kafkaError('KafkaJSProtocolError', false), { type: 'TOPIC_AUTHORIZATION_FAILED' });
    const { consumers, notices, failed } = scriptedSession();
    await until(() => consumers.length === 1);
    consumers[0]!.crash(kafkaError('KafkaJSNonRetriableError', false, denied), false);
    await until(() => failed() !== undefined);
    expect(notices).toEqual([]);
    expect(failed()).toBeInstanceOf(BrokerError);
    expect((failed() as BrokerError).retriable).toBe(false);
    expect(consumers).toHaveLength(1);
  });

  it('fails a first join at once, without restarting', async () => {
    const { consumers, failed } = scriptedSession((consumer) => (consumer.connectError = kafkaError('KafkaJSConnectionError', true)));
    await until(() => failed() !== undefined);
    expect((failed() as BrokerError).retriable).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(consumers).toHaveLength(1);
  });

  it('does not restart after unsubscribe', async () => {
    const { session, consumers } = scriptedSession();
    await until(() => consumers.length === 1);
    consumers[0]!.crash(coordinatorNotFound(), false);
    session.stop();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(consumers).toHaveLength(1);
  });
});
