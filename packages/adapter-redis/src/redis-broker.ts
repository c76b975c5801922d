/**
 * The Redis Streams broker: a topic is a stream, a consumer group a Redis consumer group.
 * Publishing is one atomic Lua script of `XADD`s; consuming is the loop of `consumer.ts`; a timer
 * trims entries every group has acked. Never Redis pub/sub, which drops what no one listens to.
 */
import { Observable } from 'rxjs';
import { BrokerError, type Broker, type ConsumeOptions, type Delivery, type Envelope, type LagInfo } from '@sluice/core';
import { ErrorReply } from 'redis';
import { encodeEnvelope } from './codec.js';
import { appendEntries } from './publish-script.js';
import { connectionName, duplicateClient, newClient, openClient, type Client } from './connection.js';
import { consumeStream, type ConsumeLoop } from './consumer.js';
import { closedError, toBrokerError } from './errors.js';
import { groupLag } from './groups.js';
import { checkTopic, resolveBrokerOptions, resolveConsumeOptions, type RedisBrokerOptions } from './options.js';
import { trimAcked } from './trim.js';

/** A `Broker` on Redis Streams, with a few Redis-specific extras. */
export interface RedisBroker extends Broker {
  readonly name: 'redis';
  /** The stream key that holds `topic`. */
  streamKey(topic: string): string;
  /**
   * Trims `topic` now of entries every consumer group has acked (the timer does it every
   * `trimIntervalMs`); resolves with how many entries went.
   */
  trim(topic: string): Promise<number>;
}

/** Creates a broker on Redis Streams. Connects lazily, on first use. */
export function createRedisBroker(options: RedisBrokerOptions = {}): RedisBroker {
  const config = resolveBrokerOptions(options);
  const client: Client = options.client ?? newClient(config.url, connectionName(config.clientName, 'broker'));
  const ownsClient = options.client === undefined;
  const loops = new Set<ConsumeLoop>();
  const topics = new Set<string>();
  let closed = false;
  let trimTimer: NodeJS.Timeout | undefined;
  let trimming = false;

  const streamKey = (topic: string) => `${config.streamPrefix}${topic}`;

  async function shared(operation: string, topic: string): Promise<Client> {
    if (closed) throw closedError(operation, topic);
    return openClient(client);
  }

  /** Runs one command sequence on the shared connection; every failure becomes a `BrokerError`. */
  async function run<R>(operation: string, topic: string, fn: (client: Client, key: string) => Promise<R>): Promise<R> {
    checkTopic(topic, operation);
    try {
      return await fn(await shared(operation, topic), streamKey(topic));
    } catch (error) {
      throw toBrokerError(error, operation, topic);
    }
  }

  /** Remembers a topic for trimming and starts the trim timer. */
  function use(topic: string): void {
    topics.add(topic);
    if (trimTimer || config.trimIntervalMs === 0 || closed) return;
    trimTimer = setInterval(() => void trimAll(), config.trimIntervalMs);
    trimTimer.unref();
  }

  async function trimAll(): Promise<void> {
    if (trimming) return;
    trimming = true;
    try {
      for (const topic of topics) {
        if (closed) break;
        // A lost connection is simply tried again at the next turn; only lasting errors are reported.
        await run('trim', topic, trimAcked).catch((error: BrokerError) => {
          if (!error.retriable) config.onError(error);
        });
      }
    } finally {
      trimming = false;
    }
  }

  async function ensureGroup(topic: string, group: string, fromBeginning: boolean): Promise<void> {
    const connection = await shared('consume', topic);
    try {
      await connection.xGroupCreate(streamKey(topic), group, fromBeginning ? '0' : '$', { MKSTREAM: true });
    } catch (error) {
      if (!(error instanceof ErrorReply && error.message.startsWith('BUSYGROUP'))) throw error;
    }
  }

  return {
    name: 'redis',
    streamKey,

    async publish<T>(topic: string, envelopes: readonly Envelope<T>[]): Promise<void> {
      checkTopic(topic, 'publish');
      if (closed) throw closedError('publish', topic);
      if (!Array.isArray(envelopes)) {
        throw new BrokerError(`Redis publish on topic "${topic}" failed: envelopes must be an array. Pass an array of envelopes.`, 'publish', topic);
      }
      const entries = envelopes.map((envelope, index) => encodeForPublish(envelope, index, topic));
      if (entries.length === 0) return;
      const appended = await run('publish', topic, (connection, key) => appendEntries(connection, key, entries));
      if (appended !== entries.length) {
        throw new BrokerError(
          `Redis publish on topic "${topic}" appended ${appended} of ${entries.length} entries. Publish the batch again (consumers de-duplicate by key).`,
          'publish',
          topic,
          { retriable: true },
        );
      }
      use(topic);
    },

    consume<T>(topic: string, consumeOptions: ConsumeOptions): Observable<Delivery<T>> {
      return new Observable<Delivery<T>>((subscriber) => {
        try {
          if (closed) throw closedError('consume', topic);
          checkTopic(topic, 'consume');
          const resolved = resolveConsumeOptions(consumeOptions, config);
          use(topic);
          return consumeStream<T>({
            topic,
            key: streamKey(topic),
            options: resolved,
            retry: config.retry,
            loops,
            shared: () => shared('consume', topic),
            dedicated: () => {
              const name = connectionName(config.clientName, 'consume', topic, resolved.group, resolved.consumer);
              return ownsClient ? newClient(config.url, name) : duplicateClient(client, name);
            },
            ensureGroup: () => ensureGroup(topic, resolved.group, resolved.fromBeginning),
          }).subscribe(subscriber);
        } catch (error) {
          subscriber.error(error);
          return undefined;
        }
      });
    },

    async lag(topic: string, group: string): Promise<LagInfo> {
      const lag = await run('lag', topic, (connection, key) => groupLag(connection, key, group));
      return { topic, group, lag };
    },

    trim(topic: string): Promise<number> {
      return run('trim', topic, trimAcked);
    },

    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      clearInterval(trimTimer);
      for (const loop of [...loops]) loop.complete();
      if (ownsClient && client.isOpen) await client.close().catch(() => client.destroy());
    },
  };
}

/** The entry text of one envelope, or a non-retriable `BrokerError` naming the faulty one. */
function encodeForPublish(envelope: Envelope<unknown>, index: number, topic: string): string {
  try {
    return encodeEnvelope(envelope);
  } catch (error) {
    const key = typeof envelope?.key === 'string' ? ` (key "${envelope.key}")` : '';
    throw new BrokerError(
      `Redis publish on topic "${topic}" failed: envelope ${index}${key} cannot be written: ${(error as Error).message}. ` +
        'Nothing of the batch was published; fix or drop that envelope.',
      'publish',
      topic,
      { cause: error },
    );
  }
}
