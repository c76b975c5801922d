/**
 * The pipeline as separate processes through a real broker into PostgreSQL: `serve`, `produce
 * --api`, `consume --idle-stop-ms`, `report`, each a child process of the CLI, on generated data,
 * under a random `--prefix` so suites sharing the services never collide.
 */
import { join } from 'node:path';
import { randomName } from '@sluice/core/testkit';
import { createPgStore } from '@sluice/store-pg';
import { serviceUrls } from '@sluice/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateFiles, type GeneratedFiles } from '../../src/generate.js';
import { namesFor } from '../../src/tables.js';
import { runCli, startServe, type CliResult, type Served } from './cli.js';
import { cleanKafka, cleanPostgres, cleanRedis } from './cleanup.js';
import { expectReportShape, expectTopThreeArePlanted, readJson, tempDir } from './data.js';

const token = 'e2e-token';

/** The summary a `produce` or `consume` process prints as its last stdout line. */
function summaryOf(result: CliResult): { read: number; published: number; persisted: number; rejected: number } {
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout.trim().split('\n').pop()!) as ReturnType<typeof summaryOf>;
}

/** Row counts of the prefix's tables in PostgreSQL. */
async function pgCounts(tables: readonly string[]): Promise<number[]> {
  const store = createPgStore({ connectionString: serviceUrls.pg });
  try {
    return await Promise.all(tables.map(async (t) => Number((await store.query<{ n: string }>(`SELECT count(*) AS n FROM "${t}"`))[0]!.n)));
  } finally {
    await store.close();
  }
}

/** Registers the end-to-end suite for one broker; `reachable` says whether the services answer. */
export function separateProcessesSuite(broker: 'redis' | 'kafka', reachable: boolean): void {
  describe.skipIf(!reachable)(`separate processes: serve → produce → ${broker} → consume → PostgreSQL → report`, () => {
    const names = namesFor(randomName(`fp${broker}`));
    const common = ['--broker', broker, '--store', 'pg', '--prefix', names.prefix];
    let dir: string;
    let remove: () => Promise<void>;
    let files: GeneratedFiles;
    let served: Served | undefined;

    beforeAll(async () => {
      ({ dir, remove } = await tempDir(broker));
      files = await generateFiles(join(dir, 'data'), { parameters: 10, products: 2, counters: 2, durationMs: 10 * 86_400_000, seed: 9 }, 'epoch-s');
      served = await startServe(['--metrics', files.metrics, '--workorders', files.workorders, '--token', token, ...common]);
    });

    afterAll(async () => {
      await served?.stop();
      await cleanPostgres(names);
      await (broker === 'redis' ? cleanRedis(names) : cleanKafka(names));
      await remove?.();
    });

    // Each step is a fresh process (tsx start-up, connections, Kafka group join): generous timeouts.
    it('moves every record into PostgreSQL and reports the planted drivers', { timeout: 180_000 }, async () => {
      const total = files.records.metrics + files.records.workorders;
      const produced = summaryOf(await runCli(['produce', '--api', served!.url, '--incremental', ...common]));
      expect(produced).toMatchObject({ read: total, published: total, rejected: 0 });

      // The webhook of the serve process publishes to the same topics: two repeated samples and one invalid one.
      const [first, second] = await readJson<{ id: number; val: number; time: number }[]>(files.metrics);
      const body = [JSON.stringify(first), JSON.stringify(second), JSON.stringify({ id: 1, val: 'n/a', time: first!.time })].join('\n');
      const answer = await fetch(`${served!.url}/ingest/metrics`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-ndjson' }, body });
      expect(answer.status).toBe(202);
      expect(await answer.json()).toMatchObject({ accepted: 2, rejected: 1, errors: [{ index: 2 }] });

      const consumed = summaryOf(await runCli(['consume', '--idle-stop-ms', '1500', ...common], 90_000));
      expect(consumed).toMatchObject({ read: total + 2, persisted: total + 2, rejected: 0 });
      expect(await pgCounts([names.metricsTable, names.workordersTable])).toEqual([files.records.metrics, files.records.workorders]);

      const out = join(dir, 'report');
      const reported = await runCli(['report', '--out', out, ...common]);
      expect(reported.code, reported.stderr).toBe(0);
      const report = await readJson<unknown>(join(out, 'report.json'));
      expectReportShape(report, 'number');
      expectTopThreeArePlanted(report, files.planted);

      const store = createPgStore({ connectionString: serviceUrls.pg });
      try {
        const letters = await store.readDeadLetters(`${names.prefix}/webhook:metrics`);
        expect(letters.map((l) => l.reason)).toEqual([expect.stringMatching(/^invalid record: val: /)]);
      } finally {
        await store.close();
      }
    });

    it('publishes nothing when the incremental producer runs again on the same API', { timeout: 60_000 }, async () => {
      const again = summaryOf(await runCli(['produce', '--api', served!.url, '--incremental', ...common]));
      expect(again).toMatchObject({ read: 0, published: 0, rejected: 0 });
    });
  });
}
