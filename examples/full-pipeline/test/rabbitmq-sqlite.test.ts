/**
 * The webhook pipeline through RabbitMQ into SQLite, as separate processes: `serve --broker
 * rabbitmq` takes records on the webhook (declaring the consumers' queues before its first
 * publish, so nothing is lost while no consumer runs), then `consume` persists them into SQLite.
 */
import { join } from 'node:path';
import { randomName, rabbitmqUrl, requireService } from '@sluice/core/testkit';
import { createSqliteStore } from '@sluice/store-sqlite';
import { afterAll, describe, expect, it } from 'vitest';
import { deleteTopics } from '../../../test/support/broker-cleanup.js';
import { generateFiles } from '../src/generate.js';
import { groupOf, kindNames, namesFor, topicOf } from '../src/tables.js';
import { runCli, startServe } from './support/cli.js';
import { tempDir } from './support/data.js';

const reachable = await requireService('RabbitMQ', rabbitmqUrl, 'bash scripts/rabbitmq.sh start');
const T = 1_624_377_478;
const token = 'mq-token';

describe.skipIf(!reachable)('webhook → RabbitMQ → consume → SQLite, as separate processes', () => {
  const prefix = randomName('mq');
  const names = namesFor(prefix);
  const dir = tempDir('rabbitmq-sqlite');
  afterAll(async () => {
    await deleteTopics('rabbitmq', rabbitmqUrl, kindNames.map((kind) => topicOf(kind, names)), kindNames.map((kind) => groupOf(kind, names.group)));
    await (await dir).remove();
  });

  it('keeps what the webhook took before any consumer ran, and lands each record once', async () => {
    const { dir: root } = await dir;
    const files = await generateFiles(join(root, 'data'), { parameters: 4, products: 1, counters: 1, durationMs: 86_400_000, seed: 4 });
    const db = `sqlite:${join(root, 'mq.db')}`;
    const common = ['--broker', 'rabbitmq', '--store', db, '--prefix', prefix];
    const served = await startServe(['--metrics', files.metrics, '--workorders', files.workorders, '--token', token, ...common]);
    try {
      const post = (kind: string, body: string) =>
        fetch(`${served.url}/ingest/${kind}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-ndjson' }, body });
      const metrics = Array.from({ length: 50 }, (_, i) => JSON.stringify({ id: i % 5, val: i, time: T + i }));
      metrics.push(metrics[0]!); // delivered twice: one row
      const first = await post('metrics', metrics.join('\n'));
      expect(first.status).toBe(202);
      expect(await first.json()).toMatchObject({ accepted: 51, rejected: 0 });
      const second = await post('workorders', [JSON.stringify({ time: T, product: 'p', production: 1 }), '{"time":"never"}'].join('\n'));
      expect(await second.json()).toMatchObject({ accepted: 1, rejected: 1 });
    } finally {
      await served.stop();
    }
    const consumed = await runCli(['consume', ...common, '--idle-stop-ms', '1500'], 90_000);
    expect(consumed.code, consumed.stderr).toBe(0);
    expect(JSON.parse(consumed.stdout.trim().split('\n').at(-1)!)).toMatchObject({ read: 52, persisted: 52, rejected: 0 });
    const store = createSqliteStore({ filename: join(root, 'mq.db') });
    try {
      expect(await store.query(`SELECT count(*) AS n FROM ${names.metricsTable}`)).toEqual([{ n: 50 }]);
      expect(await store.query(`SELECT count(*) AS n FROM ${names.workordersTable}`)).toEqual([{ n: 1 }]);
      expect((await store.readDeadLetters()).map((d) => d.reason)).toEqual([expect.stringContaining('time')]);
    } finally {
      await store.close();
    }
  }, 180_000);
});
