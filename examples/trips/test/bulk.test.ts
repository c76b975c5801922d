/**
 * Bulk ingestion (PostgreSQL, `--bulk`): the same trips and rollups as an ingestion batch by batch,
 * months built and months merged in one run, no trip counted twice, nothing staged left behind,
 * and a run killed mid-way then run again.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Store } from '@sluice/core';
import { ingestFiles } from '../src/ingest.js';
import { writeTrips } from '../src/gen.js';
import { T } from '../src/model.js';
import { nextMonth } from '../src/bulk.js';
import { killGroup, lastJson, runCli, startCli, waitForOutput } from './support/cli.js';
import { freshPg, freshSqlite, openModel, pgAvailable, rollupsAndRecount } from './support/stores.js';

const dir = mkdtempSync(join(tmpdir(), 'trips-bulk-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const count = async (store: Store, sql: string) => Number((await store.query<{ n: string }>(sql))[0]!.n);
/** Staging partitions and staging runs left in the store (none once a run has ended). */
const leftStaged = async (store: Store) =>
  (await count(store, `SELECT count(*) AS n FROM pg_inherits WHERE inhparent = '${T.staged}'::regclass`)) + (await count(store, `SELECT count(*) AS n FROM ${T.stagingRuns}`));
const distinctLines = (file: string) => new Set(readFileSync(file, 'utf8').trim().split('\n').slice(1)).size;

describe.skipIf(!pgAvailable)('bulk ingestion on pg', () => {
  it('stores the trips and rollups a batch-by-batch ingestion stores; again, or overlapping, never counts a trip twice', async () => {
    const file = join(dir, 'all.csv');
    await writeTrips(file, { rows: 6_000, seed: 11 });
    // Two bad rows among them: dead letters, counted as rejected.
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    lines.splice(100, 0, 'Prague,POINT (14.4),POINT (14.5 50.1),2018-05-28 09:03:41,funny_car', 'Turin,POINT (7.6 45.0),POINT (7.7 45.1),2018-05-28 25:00:00,baba_car');
    writeFileSync(file, lines.join('\n') + '\n');
    const distinct = distinctLines(file) - 2;
    // The rows of the months before July, and a file of June to the end: overlapping in June.
    const header = lines[0]!;
    const early = join(dir, 'early.csv');
    const late = join(dir, 'late.csv');
    const month = (line: string) => /,(\d{4}-\d{2})-\d{2} /.exec(line)?.[1] ?? '';
    writeFileSync(early, [header, ...lines.slice(1).filter((l) => month(l) < '2018-07')].join('\n') + '\n');
    writeFileSync(late, [header, ...lines.slice(1).filter((l) => month(l) >= '2018-06')].join('\n') + '\n');

    const bulkDb = await freshPg();
    const mergeDb = await freshPg();
    const mixedDb = await freshPg();
    const bulk = await openModel(bulkDb.url);
    const merge = await openModel(mergeDb.url);
    const mixed = await openModel(mixedDb.url);
    try {
      const counts = await ingestFiles({ store: bulk.store, files: [file], settings: bulk.settings, bulk: true }).done;
      expect(counts).toEqual({ read: 6_002, persisted: distinct, rejected: 2, duplicates: 6_000 - distinct });
      expect(await ingestFiles({ store: merge.store, files: [file], settings: merge.settings }).done).toEqual(counts);
      const letters = await bulk.store.readDeadLetters(file);
      expect(letters.map((l) => l.position?.line).sort((a, b) => (a ?? 0) - (b ?? 0))).toEqual([101, 102]);
      expect(await count(bulk.store, `SELECT count(*) AS n FROM ${T.trips}`)).toBe(distinct);
      const built = await rollupsAndRecount(bulk.store);
      expect(built.rollups).toEqual(built.recount);
      // The same rollups, row for row, as the batch-by-batch ingestion's.
      expect(built.rollups).toEqual((await rollupsAndRecount(merge.store)).rollups);
      expect(await leftStaged(bulk.store)).toBe(0);

      // Again, and as two overlapping files: every trip is a duplicate.
      expect(await ingestFiles({ store: bulk.store, files: [file], settings: bulk.settings, bulk: true }).done).toEqual({ read: 6_002, persisted: 0, rejected: 2, duplicates: 6_000 });
      const overlap = await ingestFiles({ store: bulk.store, files: [early, late], settings: bulk.settings, bulk: true }).done;
      expect(overlap.persisted).toBe(0);
      expect(overlap.read).toBe(overlap.rejected + overlap.duplicates);
      const again = await rollupsAndRecount(bulk.store);
      expect(again.rollups).toEqual(built.rollups);

      // Months merged and months built in one run: the early months exist, the later ones do not.
      const first = await ingestFiles({ store: mixed.store, files: [early], settings: mixed.settings }).done;
      const second = await ingestFiles({ store: mixed.store, files: [late], settings: mixed.settings, bulk: true }).done;
      expect(first.persisted + second.persisted).toBe(distinct);
      expect(second.read).toBe(second.persisted + second.rejected + second.duplicates);
      const partitions = await count(mixed.store, `SELECT count(*) AS n FROM pg_inherits WHERE inhparent = '${T.trips}'::regclass`);
      expect(partitions).toBeGreaterThan(3);
      const both = await rollupsAndRecount(mixed.store);
      expect(both.rollups).toEqual(both.recount);
      expect(both.rollups).toEqual(built.rollups);
    } finally {
      for (const opened of [bulk, merge, mixed]) await opened.store.close();
      for (const db of [bulkDb, mergeDb, mixedDb]) await db.drop();
    }
  }, 120_000);

  it('with finer stored cells and coarse area levels, the rollups a month build counts equal a recount', async () => {
    const file = join(dir, 'levels.csv');
    await writeTrips(file, { rows: 3_000, seed: 12 });
    const target = await freshPg();
    const { store, settings } = await openModel(target.url, { areaResolution: 10, areaLevels: 2 });
    try {
      const counts = await ingestFiles({ store, files: [file], settings, bulk: true }).done;
      expect(counts.persisted).toBe(distinctLines(file));
      const { rollups, recount } = await rollupsAndRecount(store);
      expect(rollups).toEqual(recount);
    } finally {
      await store.close();
      await target.drop();
    }
  }, 60_000);

  it('read in byte ranges by several processes: the same counts, dead letters on the lines of the file, trips and rollups', async () => {
    const file = join(dir, 'ranges.csv');
    await writeTrips(file, { rows: 9_000, seed: 21 });
    const distinct = distinctLines(file);
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    // Bad rows all over the file, one of them quoted over three lines, and one not ASCII.
    const bad = ['Prague,POINT (14.4),POINT (14.5 50.1),2018-05-28 09:03:41,funny_car', '"Tu\nrin\n",POINT (7.6 45.0),POINT (7.7 45.1),2018-05-28 09:00:00', 'Brno,POINT (16.6 49.2),POINT (16.7 49.2),2018-13-01 00:00:00,čistá_jízda'];
    for (let k = 0; k < 12; k++) lines.splice(1 + k * 700, 0, bad[k % 3]!);
    writeFileSync(file, lines.join('\n') + '\n');
    const rangedDb = await freshPg();
    const wholeDb = await freshPg();
    const whole = await openModel(wholeDb.url);
    try {
      const run = await runCli(['ingest', file, '--store', rangedDb.url, '--bulk', '--readers', '3', '--batch', '700', '--json'], 120_000, { SLUICE_TRIPS_MIN_RANGE_BYTES: '1' });
      expect(run.code, run.stderr).toBe(0);
      const counts = lastJson(run.stdout);
      expect(counts).toEqual({ read: 9_012, persisted: distinct, rejected: 12, duplicates: 9_000 - distinct });
      // Two processes besides the command's own read a range each.
      expect(run.stderr.match(/trips-stage-usage/g)).toHaveLength(2);
      expect(await ingestFiles({ store: whole.store, files: [file], settings: whole.settings, bulk: true }).done).toEqual(counts);
      const { store } = await openModel(rangedDb.url);
      try {
        const where = (letters: Awaited<ReturnType<Store['readDeadLetters']>>) => letters.map((l) => `${l.position?.line} ${l.reason} ${l.payload}`).sort();
        const ranged = await store.readDeadLetters(file);
        expect(ranged).toHaveLength(12);
        expect(where(ranged)).toEqual(where(await whole.store.readDeadLetters(file)));
        const split = await rollupsAndRecount(store);
        expect(split.rollups).toEqual(split.recount);
        expect(split.rollups).toEqual((await rollupsAndRecount(whole.store)).rollups);
        expect(await leftStaged(store)).toBe(0);
      } finally {
        await store.close();
      }
    } finally {
      await whole.store.close();
      for (const db of [rangedDb, wholeDb]) await db.drop();
    }
  }, 180_000);

  it('a reader of a range that dies fails the ingestion: nothing moved, nothing left staged, and why', async () => {
    const target = await freshPg();
    const file = join(dir, 'reader-dies.csv');
    await writeTrips(file, { rows: 60_000, seed: 22 });
    try {
      const run = startCli(['ingest', file, '--store', target.url, '--bulk', '--readers', '2', '--batch', '500', '--json'], { SLUICE_TRIPS_MIN_RANGE_BYTES: '1' });
      await waitForOutput(run.stderr, /stage:.*read [1-9]/);
      const reader = execFileSync('pgrep', ['-f', `stage-range ${file}`]).toString().trim().split('\n')[0];
      process.kill(Number(reader), 'SIGKILL');
      const result = await run.result;
      expect(result.code).not.toBe(0);
      expect(result.stderr).toMatch(/the reader of bytes \d+-\d+ of .*reader-dies\.csv ended \(SIGKILL\) before it finished/);
      const { store } = await openModel(target.url);
      try {
        expect(await count(store, `SELECT count(*) AS n FROM ${T.trips}`)).toBe(0);
        expect(await leftStaged(store)).toBe(0);
      } finally {
        await store.close();
      }
    } finally {
      await target.drop();
    }
  }, 120_000);

  it('a run killed while staging leaves no trip; run again, the counts and rollups are exact, and the dead run is cleared once stale', async () => {
    const target = await freshPg();
    const file = join(dir, 'kill.csv');
    await writeTrips(file, { rows: 20_000, seed: 4 });
    try {
      const args = ['ingest', file, '--store', target.url, '--bulk', '--batch', '500', '--json'];
      const first = startCli(args);
      await waitForOutput(first.stderr, /stage:.*read [1-9]/);
      killGroup(first.child, 'SIGKILL');
      expect((await first.result).signal).toBe('SIGKILL');
      const { store } = await openModel(target.url);
      try {
        expect(await count(store, `SELECT count(*) AS n FROM ${T.trips}`)).toBe(0);
        expect(await count(store, `SELECT count(*) AS n FROM ${T.stagingRuns}`)).toBe(1);
        // Not stale yet: a second run leaves the dead run's rows alone.
        const again = await runCli(args, 120_000);
        expect(again.code, again.stderr).toBe(0);
        const counts = lastJson<{ read: number; persisted: number; rejected: number; duplicates: number }>(again.stdout);
        expect(counts).toEqual({ read: 20_000, persisted: distinctLines(file), rejected: 0, duplicates: 20_000 - distinctLines(file) });
        expect(await count(store, `SELECT count(*) AS n FROM ${T.trips}`)).toBe(distinctLines(file));
        const { rollups, recount } = await rollupsAndRecount(store);
        expect(rollups).toEqual(recount);
        expect(await count(store, `SELECT count(*) AS n FROM ${T.stagingRuns}`)).toBe(1);
        // Once stale, the next bulk run drops what it staged.
        await store.query(`UPDATE ${T.stagingRuns} SET seen_at = now() - interval '2 hours'`);
        const third = await runCli(args, 120_000);
        expect(third.code, third.stderr).toBe(0);
        expect(lastJson<{ persisted: number }>(third.stdout).persisted).toBe(0);
        expect(await leftStaged(store)).toBe(0);
      } finally {
        await store.close();
      }
    } finally {
      await target.drop();
    }
  }, 240_000);
});

describe('months moved at once', () => {
  const m = (year: number, month: number) => Date.UTC(year, month - 1, 1);
  it('takes the oldest month that is no neighbour of a month being moved, else the oldest', () => {
    const left = [m(2018, 1), m(2018, 2), m(2018, 3), m(2018, 4), m(2019, 1)];
    expect(nextMonth(left, [])).toBe(m(2018, 1));
    expect(nextMonth(left.slice(1), [m(2018, 1)])).toBe(m(2018, 3));
    // Every month left is a neighbour of one being moved: the oldest.
    expect(nextMonth([m(2018, 12), m(2019, 1), m(2019, 3)], [m(2018, 11), m(2019, 2)])).toBe(m(2018, 12));
    // December and January are neighbours across the year.
    expect(nextMonth([m(2019, 1), m(2019, 3)], [m(2018, 12)])).toBe(m(2019, 3));
    expect(nextMonth([m(2018, 2)], [m(2018, 1)])).toBe(m(2018, 2));
    expect(nextMonth([], [m(2018, 1)])).toBeUndefined();
  });
});

describe('bulk ingestion refused', () => {
  it('on SQLite, through a broker, or with --writers: exit 2 and why', async () => {
    const sqlite = freshSqlite();
    try {
      const sample = '/work/shared/data/trips.csv';
      for (const [extra, why] of [
        [[], /--bulk builds PostgreSQL partitions/],
        [['--broker', 'memory:', '--writers', '2'], /--writers is for direct ingestion/],
        [['--broker', 'redis://127.0.0.1:1'], /--bulk is for direct ingestion/],
        [['--writers', '2'], /--writers is for ingestion without --bulk/],
      ] as const) {
        const result = await runCli(['ingest', sample, '--store', sqlite.url, '--bulk', ...extra]);
        expect(result.code, result.stderr).toBe(2);
        expect(result.stderr).toMatch(why);
      }
      const readers = await runCli(['ingest', sample, '--store', sqlite.url, '--readers', '2']);
      expect(readers.code, readers.stderr).toBe(2);
      expect(readers.stderr).toMatch(/--readers is for --bulk/);
    } finally {
      await sqlite.drop();
    }
  }, 60_000);
});
