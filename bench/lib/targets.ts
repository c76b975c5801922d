/**
 * What the parent prepares, checks and cleans around each path: a PostgreSQL schema of its own
 * (dropped at the end), SQLite files, Redis streams with their group, Kafka topics, RabbitMQ
 * exchanges with their group's quorum queue.
 */
import { rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import kafkajs, { type Admin } from 'kafkajs';
import { createClient } from 'redis';
import { quoteIdentifier, type Store } from '@sluice/core';
import { createPgStore } from '@sluice/store-pg';
import { createSqliteStore } from '@sluice/store-sqlite';
import { tripTable } from './trips.js';

/** Where the services are. */
export interface ServiceUrls {
  pg: string;
  redis: string;
  kafka: string;
  rabbitmq: string;
}

/** The little of amqplib used here: bench/ does not list it, so it loads from the RabbitMQ adapter's dependencies. */
interface AmqpChannel {
  on(event: 'error', listener: () => void): void;
  assertExchange(exchange: string, type: string, options: { durable: boolean }): Promise<unknown>;
  assertQueue(queue: string, options: { durable: boolean; arguments: Record<string, unknown> }): Promise<unknown>;
  bindQueue(queue: string, exchange: string, pattern: string): Promise<unknown>;
  deleteQueue(queue: string): Promise<unknown>;
  deleteExchange(exchange: string): Promise<unknown>;
  close(): Promise<void>;
}
interface AmqpConnection {
  createChannel(): Promise<AmqpChannel>;
  close(): Promise<void>;
}
const amqplib = () =>
  createRequire(import.meta.url)('amqplib') as { connect(url: string): Promise<AmqpConnection> };

type RedisClient = ReturnType<typeof createClient>;

/** The parent's connections, and everything a run created, to clean up. */
export class Targets {
  private admin: Admin | undefined;
  private redis: RedisClient | undefined;
  private rabbit: AmqpConnection | undefined;

  private constructor(
    readonly urls: ServiceUrls,
    /** The run's PostgreSQL schema. */
    readonly schema: string,
    private readonly pg: Store,
  ) {}

  /** Creates the run's schema (through a Sluice store, which also makes its bookkeeping tables). */
  static async open(urls: ServiceUrls, runId: string): Promise<Targets> {
    const schema = `sluice_bench_${runId}`;
    const pg = createPgStore({ connectionString: urls.pg, schema, poolSize: 1, applicationName: 'sluice-bench-parent' });
    await pg.migrate([]);
    return new Targets(urls, schema, pg);
  }

  /** Versions of PostgreSQL and Redis, for the machine line of the results. */
  async serverVersions(): Promise<{ pg: string; redis: string }> {
    const [row] = await this.pg.query<{ server_version: string }>('SHOW server_version');
    const info = await this.redisClient()
      .then((client) => client.sendCommand(['INFO', 'server']))
      .catch(() => 'not reachable');
    return { pg: row!.server_version.split(' ')[0]!, redis: /redis_version:(\S+)/.exec(String(info))?.[1] ?? 'not reachable' };
  }

  /** Creates the PostgreSQL table `table` of trips in the run's schema. */
  async createPgTable(table: string): Promise<void> {
    await this.pg.migrate([tripTable(table)]);
  }

  /** Rows in a PostgreSQL table of the run's schema. */
  async countPg(table: string): Promise<number> {
    const [row] = await this.pg.query<{ n: string }>(`SELECT count(*) AS n FROM ${this.qualified(table)}`);
    return Number(row!.n);
  }

  /** Dead letters written in the run's schema so far. */
  async countDeadLetters(): Promise<number> {
    const [row] = await this.pg.query<{ n: string }>(`SELECT count(*) AS n FROM ${this.qualified('sluice_dead_letters')}`);
    return Number(row!.n);
  }

  async dropPgTable(table: string): Promise<void> {
    await this.pg.query(`DROP TABLE IF EXISTS ${this.qualified(table)}`);
  }

  /** A SQLite file for `name` in the temp directory, with the trips table `table` created in it. */
  async createSqlite(name: string, table: string): Promise<string> {
    const file = join(tmpdir(), `sluice-bench-${name}.db`);
    await removeSqlite(file);
    const store = createSqliteStore({ filename: file });
    try {
      await store.migrate([tripTable(table)]);
    } finally {
      await store.close();
    }
    return file;
  }

  /** Rows in a SQLite table. */
  async countSqlite(file: string, table: string): Promise<number> {
    const store = createSqliteStore({ filename: file });
    try {
      const [row] = await store.query<{ n: number }>(`SELECT count(*) AS n FROM ${quoteIdentifier(table)}`);
      return Number(row!.n);
    } finally {
      await store.close();
    }
  }

  /** Creates the stream `key` with consumer group `group` reading from its start. */
  async createRedisGroup(key: string, group: string): Promise<void> {
    await (await this.redisClient()).sendCommand(['XGROUP', 'CREATE', key, group, '0', 'MKSTREAM']);
  }

  async deleteRedisKeys(...keys: string[]): Promise<void> {
    await (await this.redisClient()).del(keys);
  }

  /** Creates a Kafka topic with `partitions` partitions (and waits until it has leaders). */
  async createKafkaTopic(topic: string, partitions: number): Promise<void> {
    const admin = await this.kafkaAdmin();
    await admin.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }], waitForLeaders: true });
  }

  /** Waits until the group has `members` members and is stable, so that a clock started now measures work, not joining. */
  async waitForKafkaGroup(group: string, members: number, timeoutMs = 60_000): Promise<void> {
    const admin = await this.kafkaAdmin();
    const until = Date.now() + timeoutMs;
    for (;;) {
      const { groups } = await admin.describeGroups([group]);
      const state = groups[0];
      if (state?.state === 'Stable' && state.members.length >= members) return;
      if (Date.now() > until) throw new Error(`Kafka group "${group}" not stable with ${members} members after ${timeoutMs} ms (state ${state?.state})`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async deleteKafkaTopics(...topics: string[]): Promise<void> {
    const admin = await this.kafkaAdmin();
    const existing = new Set(await admin.listTopics());
    const doomed = topics.filter((t) => existing.has(t));
    if (doomed.length > 0) await admin.deleteTopics({ topics: doomed });
  }

  async deleteKafkaGroups(...groups: string[]): Promise<void> {
    await (await this.kafkaAdmin()).deleteGroups(groups).catch(() => undefined);
  }

  /**
   * Declares the durable fanout exchange `exchange` and the durable quorum queue `queue` bound to it,
   * as the RabbitMQ adapter does for a topic and a group (with its delivery limit and dead letters).
   */
  async createRabbitGroup(exchange: string, queue: string): Promise<void> {
    await this.withRabbitChannel(async (channel) => {
      await channel.assertExchange(exchange, 'fanout', { durable: true });
      await channel.assertQueue(`${queue}.dead-letters`, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
      await channel.assertQueue(queue, {
        durable: true,
        arguments: {
          'x-queue-type': 'quorum',
          'x-delivery-limit': 20,
          'x-dead-letter-exchange': '',
          'x-dead-letter-routing-key': `${queue}.dead-letters`,
          'x-dead-letter-strategy': 'at-least-once',
          'x-overflow': 'reject-publish',
        },
      });
      await channel.bindQueue(queue, exchange, '');
    });
  }

  async deleteRabbitGroup(exchange: string, queue: string): Promise<void> {
    for (const remove of [(c: AmqpChannel) => c.deleteQueue(queue), (c: AmqpChannel) => c.deleteQueue(`${queue}.dead-letters`), (c: AmqpChannel) => c.deleteExchange(exchange)]) {
      await this.withRabbitChannel(remove).catch(() => undefined);
    }
  }

  /** Drops the run's schema and closes every connection. */
  async close(): Promise<void> {
    await this.pg.query(`DROP SCHEMA IF EXISTS ${quoteIdentifier(this.schema)} CASCADE`).catch(() => undefined);
    await this.pg.close();
    await this.redis?.close();
    await this.admin?.disconnect();
    await this.rabbit?.close().catch(() => undefined);
  }

  /** Runs `fn` on a channel of its own (a failed declaration closes only that channel). */
  private async withRabbitChannel(fn: (channel: AmqpChannel) => Promise<unknown>): Promise<void> {
    if (!this.rabbit) {
      this.rabbit = await amqplib()
        .connect(this.urls.rabbitmq)
        .catch((error: unknown) => {
          throw new Error(`cannot reach RabbitMQ at ${this.urls.rabbitmq.replace(/:[^:@/]*@/, ':***@')} (${String(error)}); start it with \`bash scripts/rabbitmq.sh start\` or set SLUICE_RABBITMQ_URL.`);
        });
    }
    const channel = await this.rabbit.createChannel();
    channel.on('error', () => undefined);
    await fn(channel);
    await channel.close();
  }

  private qualified(table: string): string {
    return `${quoteIdentifier(this.schema)}.${quoteIdentifier(table)}`;
  }

  private async redisClient(): Promise<RedisClient> {
    if (!this.redis) {
      // No endless reconnecting: an unreachable Redis fails the run with a message instead of hanging it.
      const client = createClient({ url: this.urls.redis, socket: { connectTimeout: 3000, reconnectStrategy: false } });
      client.on('error', () => undefined);
      await client.connect().catch((error: unknown) => {
        throw new Error(`cannot reach Redis at ${this.urls.redis} (${String(error)}); start it with \`pnpm services:up\` or set SLUICE_REDIS_URL.`);
      });
      this.redis = client;
    }
    return this.redis;
  }

  private async kafkaAdmin(): Promise<Admin> {
    if (!this.admin) {
      const kafka = new kafkajs.Kafka({ clientId: 'sluice-bench-parent', brokers: this.urls.kafka.split(','), logLevel: kafkajs.logLevel.NOTHING, retry: { retries: 2 } });
      const admin = kafka.admin();
      await admin.connect().catch((error: unknown) => {
        throw new Error(`cannot reach Kafka at ${this.urls.kafka} (${String(error)}); start it with \`bash scripts/kafka.sh start\` or set SLUICE_KAFKA_BROKERS.`);
      });
      this.admin = admin;
    }
    return this.admin;
  }
}

/** Deletes a SQLite file with its WAL and shared-memory files. */
export async function removeSqlite(file: string): Promise<void> {
  await Promise.all(['', '-wal', '-shm'].map((suffix) => rm(`${file}${suffix}`, { force: true })));
}
