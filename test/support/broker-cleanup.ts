/**
 * Removes what a system test left on a shared broker: the Redis stream of a topic, the Kafka
 * topic (and their dead-letter topics), or the RabbitMQ exchange of a topic with its groups'
 * queues. Best effort: a failure is reported, not thrown.
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { redisCommand } from './redis-command.js';

/** The part of kafkajs's admin client used here. */
interface KafkaAdmin {
  connect(): Promise<void>;
  listTopics(): Promise<string[]>;
  deleteTopics(request: { topics: string[]; timeout?: number }): Promise<void>;
  disconnect(): Promise<void>;
}
type KafkaModule = { Kafka: new (config: { clientId: string; brokers: string[]; logLevel: number }) => { admin(): KafkaAdmin } };

/**
 * kafkajs as the Kafka adapter resolves it: the system-test package does not depend on kafkajs
 * itself, and its package.json is not ours to change.
 */
function kafkajs(): KafkaModule {
  const adapter = fileURLToPath(new URL('../../packages/adapter-kafka/package.json', import.meta.url));
  return createRequire(adapter)('kafkajs') as KafkaModule;
}

/** The part of amqplib used here. */
interface AmqpChannel {
  on(event: 'error', listener: () => void): void;
  deleteQueue(queue: string): Promise<unknown>;
  deleteExchange(exchange: string): Promise<unknown>;
  close(): Promise<void>;
}
type AmqpModule = { connect(url: string): Promise<{ createChannel(): Promise<AmqpChannel>; close(): Promise<void> }> };

/** amqplib (CommonJS), loaded only when RabbitMQ topics are cleaned up. */
function amqplib(): AmqpModule {
  return createRequire(import.meta.url)('amqplib') as AmqpModule;
}

/** Deletes the RabbitMQ exchanges of `topics` (default prefix `sluice.`) and the queues of `groups` on them. */
async function deleteRabbitTopics(url: string, topics: readonly string[], groups: readonly string[]): Promise<void> {
  const connection = await amqplib().connect(url);
  try {
    const doomed: ((channel: AmqpChannel) => Promise<unknown>)[] = [];
    for (const topic of topics) {
      for (const group of groups) {
        doomed.push((channel) => channel.deleteQueue(`sluice.${topic}|${group}`));
        doomed.push((channel) => channel.deleteQueue(`sluice.${topic}|${group}.dead-letters`));
      }
      doomed.push((channel) => channel.deleteExchange(`sluice.${topic}`));
    }
    for (const remove of doomed) {
      // One channel per deletion: a failure (never declared) closes only that channel.
      const channel = await connection.createChannel();
      channel.on('error', () => undefined);
      await remove(channel).then(() => channel.close(), () => undefined);
    }
  } finally {
    await connection.close();
  }
}

/**
 * Deletes `topics` and their `.dead-letters` topics from the broker the URL names; for RabbitMQ also
 * the queues of `groups` (a RabbitMQ group is a queue, found by name only).
 */
export async function deleteTopics(broker: 'redis' | 'kafka' | 'rabbitmq', url: string, topics: readonly string[], groups: readonly string[] = []): Promise<void> {
  const names = topics.flatMap((topic) => [topic, `${topic}.dead-letters`]);
  try {
    if (broker === 'rabbitmq') {
      await deleteRabbitTopics(url, names, groups);
      return;
    }
    if (broker === 'redis') {
      await redisCommand(url, ['DEL', ...names.map((topic) => `sluice:${topic}`)]);
      return;
    }
    const admin = new (kafkajs().Kafka)({ clientId: 'sluice-test-cleanup', brokers: url.split(','), logLevel: 0 }).admin();
    await admin.connect();
    try {
      const existing = new Set(await admin.listTopics());
      const doomed = names.filter((topic) => existing.has(topic));
      if (doomed.length > 0) await admin.deleteTopics({ topics: doomed, timeout: 30_000 });
    } finally {
      await admin.disconnect();
    }
  } catch (error) {
    console.warn(`could not delete the test topics ${names.join(', ')} from ${broker} at ${url}: ${String(error)}`);
  }
}
