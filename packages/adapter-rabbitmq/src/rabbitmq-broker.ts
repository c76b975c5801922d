/**
 * `createRabbitMqBroker`: the Sluice `Broker` on RabbitMQ. A topic is a durable fanout exchange; a
 * consumer group is a durable quorum queue bound to it (every group gets every envelope; the members
 * of a group share its queue). Publishing waits for publisher confirms; consuming is consumer.ts.
 */
import {
  assertEnvelopes,
  assertGroup,
  assertTopic,
  resolveConsumeOptions,
  type Broker,
  type ConsumeOptions,
  type DeadLetter,
  type DeadLetterSink,
  type Delivery,
  type Envelope,
  type LagInfo,
} from '@sluice/core';
import { Observable } from 'rxjs';
import { randomUUID } from 'node:crypto';
import { encodeEnvelopes } from './codec.js';
import { AmqpConnection } from './connection.js';
import { ConsumerSession, type SessionHost } from './consumer.js';
import { readDeadLetters } from './dead-letters.js';
import { encodePacked } from './packed.js';
import { closedError, replyCodeOf, toBrokerError } from './errors.js';
import { namesOf, redactUrl, resolveRabbitMqOptions, type RabbitMqBrokerOptions, type ResolvedRabbitMqOptions } from './options.js';
import { isUnroutable, Publisher, PublishRefused, unconfirmedError, unroutableError } from './publisher.js';
import { declareGroup, declareTopic, DeclaredOnce, readyCount, withChannel } from './topology.js';

/** The RabbitMQ broker: a `Broker` named `rabbitmq`, with a few RabbitMQ-specific extras. */
export interface RabbitMqBroker extends Broker {
  readonly name: 'rabbitmq';
  /** The options in force, defaults filled in. */
  readonly options: ResolvedRabbitMqOptions;
  /**
   * Declares `group` on `topic` (its quorum queue, bound to the topic's exchange) so that it keeps
   * what is published from now on, before any member consumes. Idempotent.
   */
  declareGroup(topic: string, group: string): Promise<void>;
  /** How many envelopes of the group RabbitMQ dead-lettered (delivered `deliveryLimit` times, never acked). */
  deadLetterCount(topic: string, group: string): Promise<number>;
  /**
   * Moves up to `max` (default 1000) dead-lettered envelopes of the group into `sink` (e.g.
   * `storeDeadLetters(store)`), each with its reason, and removes them from RabbitMQ once the sink has
   * them; resolves with how many moved. A failing sink leaves them in RabbitMQ.
   */
  moveDeadLetters(topic: string, group: string, sink: DeadLetterSink, max?: number): Promise<number>;
}

/**
 * Creates a broker on the RabbitMQ server at `options.url` (default `SLUICE_RABBITMQ_URL` or
 * `amqp://guest:guest@127.0.0.1:5672`). Connections open on first use; `close()` releases them.
 */
export function createRabbitMqBroker(options: RabbitMqBrokerOptions = {}): RabbitMqBroker {
  const resolved = resolveRabbitMqOptions(options);
  const names = namesOf(resolved.prefix);
  const where = redactUrl(resolved.url);
  const settings = { heartbeatSeconds: resolved.heartbeatSeconds, connectTimeoutMs: resolved.connectTimeoutMs };
  const publishing = new AmqpConnection(resolved.url, `${resolved.clientName}:publish`, settings);
  const consuming = new AmqpConnection(resolved.url, `${resolved.clientName}:consume`, settings);
  const publisher = new Publisher(publishing);
  const declared = new DeclaredOnce();
  const sessions = new Set<ConsumerSession<unknown>>();
  /** Messages held unacked by this broker's consumers, per queue (lag adds them to the ready count). */
  const held = new Map<string, number>();
  const publishId = randomUUID().slice(0, 8);
  let published = 0;
  let closed = false;

  const host: SessionHost = {
    connection: () => consuming.get(),
    declareGroup: (channel, topic, group) => declareGroup(channel, names, topic, group, resolved.deliveryLimit),
    hold: (queue, change) => {
      const count = (held.get(queue) ?? 0) + change;
      if (count > 0) held.set(queue, count);
      else held.delete(queue);
    },
    batchMs: resolved.batchMs,
    packEnvelopes: resolved.packEnvelopes,
    retry: resolved.retry,
    onRetry: resolved.onRetry,
    where,
    isClosed: () => closed,
  };

  /** Throws when closed or when `topic` is no name; returns the topic. */
  const checkTopic = (operation: string, topic: unknown): string => {
    if (closed) throw closedError(operation, typeof topic === 'string' ? topic : '');
    const checked = assertTopic(topic);
    names.exchange(checked);
    return checked;
  };

  /** The topic's exchange and the groups `options.groups` names for it, declared once. */
  const ensureTopic = (topic: string): Promise<void> =>
    declared.ensure(topic, () =>
      withChannel(publishing.get(), async (channel) => {
        await declareTopic(channel, names, topic);
        for (const group of resolved.groups(topic)) await declareGroup(channel, names, topic, group, resolved.deliveryLimit);
      }),
    );

  const wrap = (operation: string, topic: string, doing: string) => (error: unknown) => {
    throw toBrokerError(error, operation, topic, doing, where);
  };

  return {
    name: 'rabbitmq',
    options: resolved,

    async publish<T>(topic: string, envelopes: readonly Envelope<T>[]): Promise<void> {
      checkTopic('publish', topic);
      assertEnvelopes(topic, envelopes);
      if (envelopes.length === 0) return;
      const correlationId = `${publishId}-${(published++).toString(36)}`;
      const messages = resolved.packEnvelopes ? encodePacked(topic, envelopes, correlationId) : encodeEnvelopes(topic, envelopes, correlationId);
      const exchange = names.exchange(topic);
      try {
        await ensureTopic(topic);
        await publisher.send(exchange, correlationId, messages);
      } catch (error) {
        // Declare again next time: the exchange or a queue may have been deleted under us.
        declared.forget(topic);
        const unit = resolved.packEnvelopes ? `packed messages (${envelopes.length} envelopes in ${messages.length})` : 'envelopes';
        if (isUnroutable(error)) throw unroutableError(topic, exchange, error, unit);
        if (error instanceof PublishRefused) throw unconfirmedError(topic, error, unit);
        throw toBrokerError(error, 'publish', topic, `publishing ${envelopes.length} envelopes`, where);
      }
    },

    consume<T>(topic: string, consumeOptions: ConsumeOptions): Observable<Delivery<T>> {
      return new Observable<Delivery<T>>((subscriber) => {
        let session: ConsumerSession<T>;
        try {
          checkTopic('consume', topic);
          const options = resolveConsumeOptions(topic, consumeOptions);
          names.queue(topic, options.group);
          session = new ConsumerSession<T>(topic, options, subscriber, host);
        } catch (error) {
          subscriber.error(error);
          return undefined;
        }
        sessions.add(session as ConsumerSession<unknown>);
        session.start();
        return () => {
          session.stop();
          sessions.delete(session as ConsumerSession<unknown>);
        };
      });
    },

    async lag(topic: string, group: string): Promise<LagInfo> {
      checkTopic('read the lag', topic);
      const queue = names.queue(topic, assertGroup(topic, group));
      const ready = await readyCount(publishing.get(), queue).catch(wrap('lag', topic, `reading the lag of group "${group}"`));
      return { topic, group, lag: (ready ?? 0) + (held.get(queue) ?? 0) };
    },

    async declareGroup(topic: string, group: string): Promise<void> {
      checkTopic('declare a group', topic);
      assertGroup(topic, group);
      await declared
        .ensure(`${topic}|${group}`, () =>
          withChannel(publishing.get(), async (channel) => {
            await declareGroup(channel, names, topic, group, resolved.deliveryLimit);
          }),
        )
        .catch(wrap('declare', topic, `declaring group "${group}"`));
    },

    async deadLetterCount(topic: string, group: string): Promise<number> {
      checkTopic('count dead letters', topic);
      const queue = names.deadLetterQueue(topic, assertGroup(topic, group));
      const ready = await readyCount(publishing.get(), queue).catch(wrap('dead-letters', topic, `counting the dead letters of group "${group}"`));
      return ready ?? 0;
    },

    async moveDeadLetters(topic: string, group: string, sink: DeadLetterSink, max = 1000): Promise<number> {
      checkTopic('move dead letters', topic);
      const queue = names.deadLetterQueue(topic, assertGroup(topic, group));
      return withChannel(publishing.get(), async (channel) => {
        const { letters, last } = await readDeadLetters(channel, queue, topic, max);
        if (!last) return 0;
        await sink.write(letters as DeadLetter[]);
        channel.ack(last, true);
        return letters.length;
      }).catch((error: unknown) => {
        // A group never declared has no dead-letter queue, hence no dead letters.
        if (replyCodeOf(error) === 404) return 0;
        throw toBrokerError(error, 'dead-letters', topic, `moving the dead letters of group "${group}" to ${sink.name}`, where);
      });
    },

    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      for (const session of [...sessions]) session.complete();
      await Promise.allSettled([...sessions].map((session) => session.done));
      sessions.clear();
      await publisher.close();
      await Promise.allSettled([publishing.close(), consuming.close()]);
    },
  };
}
