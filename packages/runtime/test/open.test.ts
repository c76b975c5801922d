/**
 * Each URL scheme opens the right adapter against the real server (under CI=true an unreachable
 * server fails the run; elsewhere the case is skipped with one line saying why).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import type { Broker, Store } from '@sluice/core';
import { randomName, requireService, serviceUrls } from '@sluice/core/testkit';
import { AdapterUrlError, openBroker, openStore, rabbitMqUrl } from '../src/index.js';

const redisUp = await requireService('Redis', serviceUrls.redis);
const kafkaUp = await requireService('Kafka', serviceUrls.kafka, 'pnpm services:up');
const pgUp = await requireService('PostgreSQL', serviceUrls.pg);
const rabbitUp = await requireService('RabbitMQ', rabbitMqUrl(), 'rabbitmq-server -detached');

const dir = await mkdtemp(join(tmpdir(), 'sluice-runtime-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

/** Publishes one envelope and reads it back through a group, acking before leaving: the broker really works. */
async function roundTrip(broker: Broker): Promise<void> {
  const topic = randomName('rt');
  try {
    const values: unknown[] = [];
    const acked = new Promise<void>((resolve, reject) => {
      const subscription = broker.consume<{ n: number }>(topic, { group: 'g', fromBeginning: true, visibilityTimeoutMs: 5000 }).subscribe({
        next: (delivery) => {
          values.push(...delivery.envelopes.map((e) => e.value));
          delivery.ack().then(() => {
            subscription.unsubscribe();
            resolve();
          }, reject);
        },
        error: reject,
      });
    });
    // Give a broker that binds its group on subscribe (RabbitMQ) a moment before publishing.
    await new Promise((r) => setTimeout(r, 300));
    await broker.publish(topic, [{ key: 'k', value: { n: 1 }, timestamp: Date.now(), headers: {} }]);
    await acked;
    expect(values).toEqual([{ n: 1 }]);
  } finally {
    await broker.close();
  }
}

/** Migrates a table, writes a row and reads it back. */
async function writeAndRead(store: Store): Promise<void> {
  const table = randomName('rt');
  try {
    await store.migrate([{ name: table, columns: [{ name: 'id', type: 'text' }, { name: 'n', type: 'integer' }], key: ['id'] }]);
    await store.write({ table, rows: [{ id: 'a', n: 1 }] });
    expect(await store.query(`SELECT n FROM ${table}`)).toEqual([{ n: 1 }]);
    if (store.name === 'pg') await store.query(`DROP TABLE ${table}`);
  } finally {
    await store.close();
  }
}

describe('openBroker', () => {
  it('memory: opens the in-memory broker', async () => {
    const broker = await openBroker('memory:');
    expect(broker.name).toBe('memory');
    await roundTrip(broker);
  });

  it.skipIf(!redisUp)('redis:// opens Redis Streams', async () => {
    const broker = await openBroker(serviceUrls.redis);
    expect(broker.name).toBe('redis');
    await roundTrip(broker);
  });

  it.skipIf(!kafkaUp)('kafka:// opens Kafka', async () => {
    const broker = await openBroker(`kafka://${serviceUrls.kafka}`, { kafka: { partitions: 1 } });
    expect(broker.name).toBe('kafka');
    await roundTrip(broker);
  }, 60_000);

  it.skipIf(!rabbitUp)('amqp:// opens RabbitMQ', async () => {
    const broker = await openBroker(rabbitMqUrl());
    expect(broker.name).toBe('rabbitmq');
    await roundTrip(broker);
  });

  it.skipIf(!rabbitUp)('amqp://…?groups= declares the groups before the first publish', async () => {
    const topic = randomName('rt');
    const url = new URL(rabbitMqUrl());
    url.searchParams.set('groups', 'early');
    const broker = await openBroker(url.toString());
    try {
      // Published before any consumer exists: kept, because the URL declared the group's queue.
      await broker.publish(topic, [{ key: 'k', value: { n: 7 }, timestamp: Date.now(), headers: {} }]);
      const values = await new Promise<unknown[]>((resolve, reject) => {
        const subscription = broker.consume(topic, { group: 'early' }).subscribe({
          next: (delivery) =>
            void delivery.ack().then(() => {
              subscription.unsubscribe();
              resolve(delivery.envelopes.map((e) => e.value));
            }, reject),
          error: reject,
        });
      });
      expect(values).toEqual([{ n: 7 }]);
    } finally {
      await broker.close();
    }
  });

  it('takes SLUICE_BROKER as the default', async () => {
    const before = process.env.SLUICE_BROKER;
    process.env.SLUICE_BROKER = 'nats://u:secret@h';
    try {
      await expect(openBroker()).rejects.toThrow(AdapterUrlError);
      await expect(openBroker()).rejects.not.toThrow(/secret/);
    } finally {
      if (before === undefined) delete process.env.SLUICE_BROKER;
      else process.env.SLUICE_BROKER = before;
    }
  });
});

describe('openStore', () => {
  it('sqlite:path opens SQLite in that file, creating its folder', async () => {
    const file = join(dir, 'nested', 'a.db');
    const store = await openStore(`sqlite:${file}`);
    expect(store.name).toBe('sqlite');
    await writeAndRead(store);
    expect((await stat(file)).isFile()).toBe(true);
  });

  it('sqlite::memory: opens an in-memory SQLite', async () => {
    const store = await openStore('sqlite::memory:');
    expect(store.name).toBe('sqlite');
    await writeAndRead(store);
  });

  it.skipIf(!pgUp)('postgres:// opens PostgreSQL', async () => {
    const store = await openStore(serviceUrls.pg);
    expect(store.name).toBe('pg');
    await writeAndRead(store);
  });

  it('takes SLUICE_STORE as the default', async () => {
    const before = process.env.SLUICE_STORE;
    process.env.SLUICE_STORE = `sqlite:${join(dir, 'env.db')}`;
    try {
      const store = await openStore();
      await writeAndRead(store);
      expect((await stat(join(dir, 'env.db'))).isFile()).toBe(true);
    } finally {
      if (before === undefined) delete process.env.SLUICE_STORE;
      else process.env.SLUICE_STORE = before;
    }
  });
});

describe('lazy loading', () => {
  it('an embedded run (memory broker, SQLite) never loads pg, kafkajs, redis or amqplib', async () => {
    const script = fileURLToPath(new URL('./support/embedded-modules.ts', import.meta.url));
    const root = fileURLToPath(new URL('../../..', import.meta.url));
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--conditions=source', script, join(dir, 'lazy.db')], { cwd: root });
    const loaded = JSON.parse(stdout.trim().split('\n').at(-1)!) as string[];
    expect(loaded).toContain('sqlite3'); // the check sees the modules that were loaded
    expect(loaded.filter((name) => ['pg', 'kafkajs', '@redis/client', 'redis', 'amqplib'].includes(name))).toEqual([]);
  });
});
