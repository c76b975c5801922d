/**
 * `createKafkaBroker`: the Sluice `Broker` on Apache Kafka, through kafkajs. Topics are created on
 * first use; one producer publishes with `acks: -1`; each `consume()` is one member of a consumer
 * group whose offsets are committed only on `ack()` (see consumer.ts).
 */
import {
  assertEnvelopes,
  assertTopic,
  resolveConsumeOptions,
  type Broker,
  type ConsumeOptions,
  type Delivery,
  type Envelope,
  type LagInfo,
} from '@sluice/core';
import kafkajs, { type Kafka, type Message, type Producer } from 'kafkajs';
import { Observable } from 'rxjs';
import { chunkBySize, encodeEnvelopes } from './codec.js';
import { ConsumerSession, type SessionHost } from './consumer.js';
import { encodePacked } from './packed.js';
import { closedError, toBrokerError } from './errors.js';
import { resolveKafkaOptions, type KafkaBrokerOptions, type KafkaLogLevel, type ResolvedKafkaOptions } from './options.js';
import { keyPartitioner } from './partitioner.js';
import { assertKafkaTopic, Topics } from './topics.js';

const { Kafka: KafkaClient, logLevel } = kafkajs;

const logLevels: Record<KafkaLogLevel, number> = {
  nothing: logLevel.NOTHING,
  error: logLevel.ERROR,
  warn: logLevel.WARN,
  info: logLevel.INFO,
  debug: logLevel.DEBUG,
};

/** The Kafka broker: a `Broker` named `kafka`. */
export interface KafkaBroker extends Broker {
  /** The options in force, defaults filled in. */
  readonly options: ResolvedKafkaOptions;
}

/**
 * Creates a broker on the Kafka cluster at `options.brokers` (default `SLUICE_KAFKA_BROKERS` or
 * `127.0.0.1:9092`). Connections open on first use; `close()` releases them.
 *
 * Kafka keeps order per partition and partitions by key, so envelopes of one key keep their publish
 * order. A delivery held by a live consumer is not redelivered after `visibilityTimeoutMs` (Kafka has
 * no such timeout): it goes to another member when its holder nacks it, leaves the group, or stops
 * heartbeating for `sessionTimeoutMs`.
 */
export function createKafkaBroker(options: KafkaBrokerOptions = {}): KafkaBroker {
  const resolved = resolveKafkaOptions(options);
  const client = (suffix?: string): Kafka =>
    new KafkaClient({
      clientId: suffix ? `${resolved.clientId}-${suffix}` : resolved.clientId,
      brokers: resolved.brokers,
      logLevel: logLevels[resolved.logLevel],
      connectionTimeout: resolved.connectionTimeoutMs,
      requestTimeout: resolved.requestTimeoutMs,
      retry: { retries: resolved.retries },
    });
  const kafka = client();
  const topics = new Topics(kafka.admin(), {
    partitions: resolved.partitions,
    replicationFactor: resolved.replicationFactor,
    timeoutMs: resolved.requestTimeoutMs,
  });
  const sessions = new Set<ConsumerSession<unknown>>();
  let producer: Promise<Producer> | undefined;
  /** Publishes run one after the other (see `publish`). */
  let sending: Promise<unknown> = Promise.resolve();
  let closed = false;

  const host: SessionHost = {
    options: resolved,
    client,
    ensureTopic: (topic) => topics.ensure(topic),
    isClosed: () => closed,
  };

  /** Throws when closed or when `topic` is not a Kafka topic name; returns the topic. */
  const checkTopic = (operation: string, topic: unknown): string => {
    if (closed) throw closedError(operation, typeof topic === 'string' ? topic : '');
    return assertKafkaTopic(assertTopic(topic));
  };

  const connectedProducer = (): Promise<Producer> => {
    if (!producer) {
      // Idempotent: a retried request whose first try did land is not written twice.
      const created = kafka.producer({
        allowAutoTopicCreation: false,
        // kafkajs's default placement (murmur2 of the key), without its long.js arithmetic.
        createPartitioner: keyPartitioner,
        idempotent: true,
        maxInFlightRequests: 1,
        retry: { retries: Math.max(1, resolved.retries) },
      });
      producer = created.connect().then(() => created);
      producer.catch(() => (producer = undefined));
    }
    return producer;
  };

  /** The packed records of a publish, once the topic exists and its partition count is known. */
  const encodePackedWhenReady = async (topic: string, envelopes: readonly Envelope<unknown>[]): Promise<Message[]> => {
    await topics.ensure(topic);
    return encodePacked(topic, envelopes, await topics.partitions(topic), resolved.maxRequestBytes);
  };

  return {
    name: 'kafka',
    options: resolved,

    async publish<T>(topic: string, envelopes: readonly Envelope<T>[]): Promise<void> {
      checkTopic('publish', topic);
      assertEnvelopes(topic, envelopes);
      if (envelopes.length === 0) return;
      // Encoded now, while an earlier publish may still be in flight.
      const encoded = resolved.packEnvelopes ? encodePackedWhenReady(topic, envelopes) : Promise.resolve(encodeEnvelopes(topic, envelopes));
      encoded.catch(() => undefined); // awaited by `send`; not an unhandled rejection meanwhile
      // One publish at a time: kafkajs's idempotent producer needs it, and a key's envelopes keep
      // their order across publishes and across the size-bounded requests of one publish.
      const send = async () => {
        const messages = await encoded;
        await topics.ensure(topic);
        const ready = await connectedProducer();
        for (const chunk of chunkBySize(messages, resolved.maxRequestBytes)) {
          await ready.send({ topic, messages: chunk, acks: -1, timeout: resolved.requestTimeoutMs });
        }
      };
      const sent = sending.then(send);
      sending = sent.catch(() => undefined);
      try {
        await sent;
      } catch (error) {
        throw toBrokerError(error, 'publish', topic, `publishing ${envelopes.length} envelopes`, resolved.brokers);
      }
    },

    consume<T>(topic: string, consumeOptions: ConsumeOptions): Observable<Delivery<T>> {
      return new Observable<Delivery<T>>((subscriber) => {
        let session: ConsumerSession<T>;
        try {
          checkTopic('consume', topic);
          session = new ConsumerSession<T>(topic, resolveConsumeOptions(topic, consumeOptions), subscriber, host);
        } catch (error) {
          subscriber.error(error);
          return undefined;
        }
        sessions.add(session as ConsumerSession<unknown>);
        session.start();
        return () => {
          session.stop();
          void session.done.then(() => sessions.delete(session as ConsumerSession<unknown>));
        };
      });
    },

    async lag(topic: string, group: string): Promise<LagInfo> {
      checkTopic('read the lag', topic);
      resolveConsumeOptions(topic, { group });
      try {
        return { topic, group, lag: await topics.lag(topic, group) };
      } catch (error) {
        throw toBrokerError(error, 'lag', topic, `reading the lag of group "${group}"`, resolved.brokers);
      }
    },

    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      for (const session of sessions) session.fail(closedError('consume', session.topic));
      const pendingProducer = producer;
      await Promise.allSettled([
        ...[...sessions].map((session) => session.done),
        pendingProducer?.then((ready) => ready.disconnect()),
        topics.close(),
      ]);
      sessions.clear();
    },
  };
}
