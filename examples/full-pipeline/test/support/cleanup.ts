/**
 * Removes what a prefixed pipeline left in the shared services: its PostgreSQL tables and
 * bookkeeping rows, its Redis streams, its Kafka topics and group. Tests use random prefixes, so
 * this touches nothing of anyone else.
 */
import { createRequire } from 'node:module';
import { connect } from 'node:net';
import { hostPort, serviceUrls } from '@sluice/core/testkit';
import { createPgStore } from '@sluice/store-pg';
import { groupOf, kindNames, topicOf, type Names } from '../../src/tables.js';

/** Drops the prefix's tables and deletes its migration records, dead letters and checkpoints. */
export async function cleanPostgres(names: Names): Promise<void> {
  const store = createPgStore({ connectionString: serviceUrls.pg });
  try {
    const like = `${names.prefix}%`;
    await store.query(`DROP TABLE IF EXISTS "${names.metricsTable}", "${names.workordersTable}"`);
    await store.query('DELETE FROM sluice_migrations WHERE name = $1 OR name = $2', [names.metricsTable, names.workordersTable]);
    await store.query('DELETE FROM sluice_dead_letters WHERE origin LIKE $1', [like]);
    await store.query('DELETE FROM sluice_checkpoints WHERE stream LIKE $1', [like]);
  } finally {
    await store.close();
  }
}

/** One RESP command on a fresh connection (enough for a DEL; no client library needed). */
function redisCommand(args: readonly string[]): Promise<string> {
  const { host, port } = hostPort(serviceUrls.redis);
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port }, () => {
      socket.write(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`);
    });
    socket.once('data', (reply) => {
      socket.end();
      resolve(reply.toString());
    });
    socket.once('error', reject);
  });
}

/** Deletes the prefix's streams (topics and their dead-letter topics, under the adapter's default key prefix `sluice:`). */
export async function cleanRedis(names: Names): Promise<void> {
  const topics = kindNames.flatMap((kind) => [topicOf(kind, names), `${topicOf(kind, names)}.dead-letters`]);
  const reply = await redisCommand(['DEL', ...topics.map((topic) => `sluice:${topic}`)]);
  if (!reply.startsWith(':')) throw new Error(`Redis refused to delete the test streams ${topics.join(', ')}: ${reply.trim()}`);
}

/** The part of kafkajs the cleanup uses. */
interface KafkaJs {
  Kafka: new (config: { clientId: string; brokers: string[]; logLevel: number }) => {
    admin(): {
      connect(): Promise<void>;
      disconnect(): Promise<void>;
      listTopics(): Promise<string[]>;
      deleteTopics(options: { topics: string[] }): Promise<void>;
      deleteGroups(groups: string[]): Promise<unknown>;
    };
  };
  logLevel: { NOTHING: number };
}

/**
 * Deletes the prefix's Kafka topics and consumer group. kafkajs is a dependency of the Kafka
 * adapter, not of this example, so it is loaded from the adapter's folder.
 */
export async function cleanKafka(names: Names): Promise<void> {
  const require = createRequire(new URL('../../../../packages/adapter-kafka/package.json', import.meta.url));
  const kafkajs = require('kafkajs') as KafkaJs;
  const admin = new kafkajs.Kafka({ clientId: 'sluice-fp-test-cleanup', brokers: serviceUrls.kafka.split(','), logLevel: kafkajs.logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const mine = kindNames.map((kind) => topicOf(kind, names)).filter((t) => existing.has(t));
    if (mine.length > 0) await admin.deleteTopics({ topics: mine });
    await admin.deleteGroups(kindNames.map((kind) => groupOf(kind, names.group))).catch(() => undefined);
  } finally {
    await admin.disconnect();
  }
}
