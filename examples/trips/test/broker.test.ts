/**
 * Broker mode: trips published to Redis and persisted by 2 consumer processes; one consumer is
 * killed mid-ingestion. The counts stay exact, the rollups equal a recount, and running the
 * ingestion again adds nothing.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { requireService, serviceUrls } from '@sluice/core/testkit';
import { writeTrips } from '../src/gen.js';
import { T } from '../src/model.js';
import { lastJson, runCli, startCli } from './support/cli.js';
import { fresh, openModel, pgAvailable, rollupsAndRecount } from './support/stores.js';

const redisUp = await requireService('Redis', serviceUrls.redis);
const dir = mkdtempSync(join(tmpdir(), 'trips-broker-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Pids of the consumer processes in a process group. */
function consumers(group: number): number[] {
  const lines = execFileSync('ps', ['-eo', 'pid=,pgid=,args=']).toString().split('\n');
  return lines
    .map((line) => line.trim().split(/\s+/))
    .filter((parts) => Number(parts[1]) === group && parts.slice(2).join(' ').includes(' consume --broker '))
    .map((parts) => Number(parts[0]));
}

describe.skipIf(!redisUp)('ingestion through Redis with 2 consumer processes', () => {
  it('stays exact when a consumer is killed mid-ingestion, and a second run adds nothing', async () => {
    const target = await fresh(pgAvailable ? 'pg' : 'sqlite');
    const file = join(dir, 'trips.csv');
    await writeTrips(file, { rows: 5000, seed: 5 });
    const distinct = new Set(readFileSync(file, 'utf8').trim().split('\n').slice(1)).size;
    const args = ['ingest', file, '--store', target.url, '--broker', serviceUrls.redis, '--consumers', '2', '--batch', '250', '--visibility-ms', '1500', '--json'];
    try {
      const run = startCli(args);
      const { store } = await openModel(target.url);
      try {
        let killed = 0;
        const deadline = Date.now() + 90_000;
        while (killed === 0 && Date.now() < deadline) {
          const stored = Number((await store.query(`SELECT count(*) AS n FROM ${T.trips}`))[0]!.n);
          const pids = consumers(run.child.pid!);
          if (stored > 0 && pids.length === 2) {
            process.kill(pids[0]!, 'SIGKILL');
            killed = pids[0]!;
          } else await new Promise((resolve) => setTimeout(resolve, 100));
        }
        expect(killed).toBeGreaterThan(0);
        const result = await run.result;
        expect(result.code, result.stderr).toBe(0);
        expect(result.stderr).toMatch(new RegExp(`consumer ${killed} ended \\(SIGKILL\\)`));
        expect(lastJson(result.stdout)).toEqual({ read: 5000, persisted: distinct, rejected: 0, duplicates: 5000 - distinct });
        expect(Number((await store.query(`SELECT count(*) AS n FROM ${T.trips}`))[0]!.n)).toBe(distinct);
        const { rollups, recount } = await rollupsAndRecount(store);
        expect(rollups).toEqual(recount);

        const again = await runCli(args, 120_000);
        expect(again.code, again.stderr).toBe(0);
        expect(lastJson(again.stdout)).toEqual({ read: 5000, persisted: 0, rejected: 0, duplicates: 5000 });
        const after = await rollupsAndRecount(store);
        expect(after.rollups).toEqual(rollups);
      } finally {
        await store.close();
      }
    } finally {
      await target.drop();
    }
  }, 400_000);
});
