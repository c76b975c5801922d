/**
 * The incremental producer: after a restart it publishes only what the API has that it had not
 * published yet; duplicated input records (same id and time) end as one row.
 */
import { writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createMemoryBroker, type Broker, type PipelineSummary } from '@sluice/core';
import { createSqliteStore } from '@sluice/store-sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consume } from '../src/consume.js';
import { produce } from '../src/produce.js';
import { buildServer } from '../src/server/app.js';
import { machineTables, namesFor, type Kind } from '../src/tables.js';
import { tempDir } from './support/data.js';

const names = namesFor('incr');
const T = 1_624_377_478;

const metric = (i: number) => ({ id: i % 5, val: i * 1.5, time: T + 60 * i });
const workorder = (i: number) => ({ time: T + 600 * i, product: i % 2 === 0 ? 'A' : 'B', production: 10 * i });

/** The first file: 100 samples and 20 readings, with 3 samples and 1 reading repeated (same id and time). */
const first = {
  metrics: [...Array.from({ length: 100 }, (_, i) => metric(i)), metric(3), metric(50), { ...metric(99), val: 7 }],
  workorders: [...Array.from({ length: 20 }, (_, i) => workorder(i)), workorder(4)],
};
/** The same file grown by 30 samples and 5 readings. */
const grown = {
  metrics: [...first.metrics, ...Array.from({ length: 30 }, (_, i) => metric(100 + i))],
  workorders: [...first.workorders, ...Array.from({ length: 5 }, (_, i) => workorder(20 + i))],
};
const recordCount = (files: typeof first) => files.metrics.length + files.workorders.length;

describe('incremental producer', () => {
  let dir: string;
  let remove: () => Promise<void>;
  let broker: Broker;

  beforeAll(async () => {
    ({ dir, remove } = await tempDir('incremental'));
    broker = createMemoryBroker();
  });

  afterAll(async () => {
    await broker?.close();
    await remove?.();
  });

  /** Serves `files` on a fresh API and runs one producer process-equivalent (its own store handle). */
  async function produceFrom(label: string, files: typeof first, incremental: boolean): Promise<PipelineSummary> {
    const paths = { metrics: join(dir, `${label}-metrics.json`), workorders: join(dir, `${label}-workorder.json`) } satisfies Record<Kind, string>;
    await writeFile(paths.metrics, JSON.stringify(files.metrics, null, 1));
    await writeFile(paths.workorders, JSON.stringify(files.workorders, null, 1));
    const app = buildServer({ stream: { files: paths } });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const store = createSqliteStore({ filename: join(dir, 'pipeline.db') });
    try {
      await store.migrate(machineTables(names));
      const api = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
      return await produce({ broker, names, input: { api }, store, incremental, batchSize: 40 }).done;
    } finally {
      await store.close();
      await app.close();
    }
  }

  it('publishes everything once, nothing on a re-run, and only the new records once the source has grown', async () => {
    const firstRun = await produceFrom('first', first, true);
    expect(firstRun).toMatchObject({ read: recordCount(first), published: recordCount(first), rejected: 0 });

    const again = await produceFrom('first', first, true);
    expect(again).toMatchObject({ read: 0, published: 0, rejected: 0 });

    const afterGrowth = await produceFrom('grown', grown, true);
    expect(afterGrowth).toMatchObject({ read: 35, published: 35, rejected: 0 });

    // Control: without incremental mode the producer starts from the beginning again.
    const full = await produceFrom('grown', grown, false);
    expect(full.published).toBe(recordCount(grown));
  });

  it('stores duplicated input records (same id and time) as one row', async () => {
    const store = createSqliteStore({ filename: join(dir, 'pipeline.db') });
    try {
      const summary = await consume({ broker, store, names, idleStopMs: 300 }).done;
      expect(summary.rejected).toBe(0);
      const [metrics] = await store.query<{ n: number }>(`SELECT count(*) AS n FROM ${names.metricsTable}`);
      const [workorders] = await store.query<{ n: number }>(`SELECT count(*) AS n FROM ${names.workordersTable}`);
      expect(Number(metrics!.n)).toBe(130);
      expect(Number(workorders!.n)).toBe(25);
      // The repeated sample with another value: one row, holding one of the two values.
      const rows = await store.query<{ val: number }>(`SELECT val FROM ${names.metricsTable} WHERE parameter = ? AND time = ?`, ['4', metric(99).time * 1000]);
      expect(rows).toHaveLength(1);
      expect([7, metric(99).val]).toContain(rows[0]!.val);
    } finally {
      await store.close();
    }
  });
});
