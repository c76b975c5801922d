/**
 * Removes what a system test left on a shared broker: the Redis stream of a topic, or the Kafka
 * topic (and their dead-letter topics). Best effort: a failure is reported, not thrown.
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

/** Deletes `topics` and their `.dead-letters` topics from the broker the URL names. */
export async function deleteTopics(broker: 'redis' | 'kafka', url: string, topics: readonly string[]): Promise<void> {
  const names = topics.flatMap((topic) => [topic, `${topic}.dead-letters`]);
  try {
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
