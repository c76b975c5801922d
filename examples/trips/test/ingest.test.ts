/**
 * Ingestion: idempotent re-ingestion and overlapping files, the bad-row corpus (dead letters with
 * file, line and reason; counts that add up), and rollups equal to a recount after an ingestion is
 * killed mid-way and run again.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lastValueFrom, toArray } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestFiles, tripsCsv } from '../src/ingest.js';
import { writeTrips } from '../src/gen.js';
import { T } from '../src/model.js';
import { tripId, tripSchema, type Trip } from '../src/trip.js';
import { latestDatasource, regionsOf } from '../src/queries.js';
import { killGroup, lastJson, runCli, startCli, waitForOutput } from './support/cli.js';
import { fresh, openModel, rollupsAndRecount, storeKinds } from './support/stores.js';

const sample = '/work/shared/data/trips.csv';
const dir = mkdtempSync(join(tmpdir(), 'trips-ingest-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The trips of a file, read and checked as an ingestion reads them. */
async function ingestTrips(path: string): Promise<Trip[]> {
  const records = await lastValueFrom(tripsCsv(path, path).read().pipe(toArray()));
  return records.map((record) => tripSchema.parse(record.kind === 'record' ? record.value : undefined));
}

const count = async (store: { query: (sql: string) => Promise<Record<string, unknown>[]> }, table: string) => Number((await store.query(`SELECT count(*) AS n FROM ${table}`))[0]!.n);

describe.each(storeKinds)('ingestion on %s', (kind) => {
  it('ingesting the same file twice, and two overlapping files, never counts a trip twice', async () => {
    const target = await fresh(kind);
    const { store, settings } = await openModel(target.url);
    try {
      const lines = readFileSync(sample, 'utf8').trim().split('\n');
      const [header, ...rows] = lines;
      const first = join(dir, `first-${kind}.csv`);
      const second = join(dir, `second-${kind}.csv`);
      writeFileSync(first, [header, ...rows.slice(0, 60)].join('\n') + '\n');
      writeFileSync(second, [header, ...rows.slice(40)].join('\n') + '\n');

      expect(await ingestFiles({ store, files: [sample], settings }).done).toEqual({ read: 100, persisted: 100, rejected: 0, duplicates: 0 });
      expect(await ingestFiles({ store, files: [sample], settings }).done).toEqual({ read: 100, persisted: 0, rejected: 0, duplicates: 100 });
      expect(await ingestFiles({ store, files: [first, second], settings }).done).toEqual({ read: 120, persisted: 0, rejected: 0, duplicates: 120 });
      expect(await count(store, T.trips)).toBe(100);
      const { rollups, recount } = await rollupsAndRecount(store);
      expect(rollups).toEqual(recount);
      expect(await regionsOf(store, 'cheap_mobile')).toEqual({ datasource: 'cheap_mobile', regions: ['Hamburg', 'Prague', 'Turin'] });
      expect(await latestDatasource(store)).toEqual({ regions: ['Turin', 'Prague'], datasource: 'pt_search_app', datetime: '2018-05-31 06:20:59' });
      // sql/questions.sql gives the same answers, over the raw rows and over the rollups.
      const questions = Object.fromEntries(
        readFileSync(new URL('../sql/questions.sql', import.meta.url), 'utf8')
          .split(/^-- name: /m)
          .slice(1)
          .map((block) => [block.slice(0, block.indexOf('\n')).trim(), block.slice(block.indexOf('\n') + 1)]),
      );
      const at = (v: unknown) => new Date(v instanceof Date ? v.getTime() : Number(v)).toISOString();
      for (const version of ['raw', 'rollup']) {
        const [latest] = await store.query<{ datasource: string; datetime: unknown }>(questions[`latest-datasource/${version}`]!);
        expect({ datasource: latest!.datasource, datetime: at(latest!.datetime) }).toEqual({ datasource: 'pt_search_app', datetime: '2018-05-31T06:20:59.000Z' });
        expect((await store.query<{ region: string }>(questions[`regions/${version}`]!)).map((r) => r.region)).toEqual(['Hamburg', 'Prague', 'Turin']);
      }

      // Overlapping files into a fresh store: 60 + 60 rows, 20 of them in both.
      const other = await fresh(kind);
      const opened = await openModel(other.url);
      try {
        expect(await ingestFiles({ store: opened.store, files: [first, second], settings: opened.settings }).done).toEqual({ read: 120, persisted: 100, rejected: 0, duplicates: 20 });
      } finally {
        await opened.store.close();
        await other.drop();
      }
    } finally {
      await store.close();
      await target.drop();
    }
  }, 60_000);

  it('a store made before identity 2 keeps the ids of identity 1: its trips ingested again are duplicates', async () => {
    const target = await fresh(kind);
    let { store, settings } = await openModel(target.url);
    try {
      // What an older version left: every setting recorded but the identity.
      await store.query(`DELETE FROM ${T.settings} WHERE name = 'identity'`);
      await store.close();
      ({ store, settings } = await openModel(target.url));
      expect(settings.identity).toBe(1);
      expect(await ingestFiles({ store, files: [sample], settings }).done).toMatchObject({ read: 100, persisted: 100 });
      const trips = (await ingestTrips(sample)).map((trip) => `${trip.at}|${tripId(trip, 1)}`).sort();
      const stored = await store.query<{ at: unknown; id: unknown }>(`SELECT ${kind === 'pg' ? 'CAST(EXTRACT(EPOCH FROM started_at) * 1000 AS bigint)' : 'started_at'} AS at, trip_id AS id FROM ${T.trips}`);
      expect(stored.map((row) => `${Number(row.at)}|${Number(row.id)}`).sort()).toEqual(trips);
      // Opened again, the store says identity 1 still; a fresh store is of identity 2.
      await store.close();
      ({ store, settings } = await openModel(target.url));
      expect(settings.identity).toBe(1);
      expect(await ingestFiles({ store, files: [sample], settings }).done).toEqual({ read: 100, persisted: 0, rejected: 0, duplicates: 100 });
    } finally {
      await store.close();
      await target.drop();
    }
    const other = await fresh(kind);
    const opened = await openModel(other.url);
    await opened.store.close();
    await other.drop();
    expect(opened.settings.identity).toBe(2);
  }, 60_000);

  it('times with a fraction of a second or a zone are one trip with the same time in UTC, kept to the millisecond', async () => {
    const target = await fresh(kind);
    const { store, settings } = await openModel(target.url);
    try {
      const file = join(dir, `zones-${kind}.csv`);
      const trip = (at: string) => `Prague,POINT (14.45 50.07),POINT (14.42 50.08),${at},zone_app`;
      writeFileSync(
        file,
        ['region,origin_coord,destination_coord,datetime,datasource', trip('2018-05-28 09:03:40'), trip('2018-05-28T11:03:40+02:00'), trip('2018-05-28T09:03:40Z'),
          trip('2018-05-28 09:03:40.250'), trip('2018-05-28 04:03:40.2509-05:00'), trip('2018-05-28 09:03:40+19:00')].join('\n') + '\n',
      );
      expect(await ingestFiles({ store, files: [file], settings }).done).toEqual({ read: 6, persisted: 2, rejected: 1, duplicates: 3 });
      expect(await latestDatasource(store)).toEqual({ regions: ['Prague'], datasource: 'zone_app', datetime: '2018-05-28 09:03:40.250' });
      const letters = await store.readDeadLetters(file);
      expect(letters.map((l) => l.reason)).toEqual([expect.stringMatching(/\+19:00.*offset that is not a valid zone/)]);
      const { rollups, recount } = await rollupsAndRecount(store);
      expect(rollups).toEqual(recount);
    } finally {
      await store.close();
      await target.drop();
    }
  }, 60_000);

  it('bad rows become dead letters with file, line and reason; a header in another order and case is read by name', async () => {
    const target = await fresh(kind);
    const { store, settings } = await openModel(target.url);
    try {
      const bad = join(dir, `bad-${kind}.csv`);
      writeFileSync(
        bad,
        [
          'region,origin_coord,destination_coord,datetime,datasource',
          'Prague,POINT (14.4 50.0),POINT (14.5 50.1),2018-05-28 09:03:40,funny_car', // 2: good
          'Prague,POINT (14.4),POINT (14.5 50.1),2018-05-28 09:03:41,funny_car', // 3: malformed POINT
          'Prague,POINT (14.4 50.0),POINT (214.5 50.1),2018-05-28 09:03:42,funny_car', // 4: out of range
          'Prague,POINT (14.4 50.0),POINT (14.5 50.1),2018-02-30 09:03:43,funny_car', // 5: no such day
          'Prague,POINT (14.4 50.0),POINT (14.5 50.1),28/05/2018 09:03,funny_car', // 6: bad datetime
          'Prague,POINT (14.4 50.0),POINT (14.5 50.1),2018-05-28 09:03:44', // 7: a field missing
          'Prague,POINT (14.4 50.0),POINT (14.5 50.1),2018-05-28 09:03:45,funny_car,extra', // 8: extra column
          ',POINT (14.4 50.0),POINT (14.5 50.1),2018-05-28 09:03:46,funny_car', // 9: empty region
          'Prague,POINT (14.4 50.0),POINT (14.5 50.1),2018-05-28 09:03:40,funny_car', // 10: duplicate of 2
          'Prague,POINT (14.4 50.0),,2018-05-28 09:03:47,funny_car', // 11: no destination
        ].join('\n') + '\n',
      );
      const reordered = join(dir, `reordered-${kind}.csv`);
      writeFileSync(reordered, '\uFEFFDatasource,datetime, Region ,DESTINATION_COORD,origin_coord\r\nbaba_car,2018-05-29 10:00:00,Turin,POINT (7.7 45.1),POINT (7.6 45.0)\r\n');
      const counts = await ingestFiles({ store, files: [bad, reordered], settings }).done;
      expect(counts).toEqual({ read: 11, persisted: 2, rejected: 8, duplicates: 1 });
      const letters = await store.readDeadLetters(bad);
      const byLine = Object.fromEntries(letters.map((l) => [l.position?.line, l.reason]));
      expect(Object.keys(byLine).map(Number).sort((a, b) => a - b)).toEqual([3, 4, 5, 6, 7, 8, 9, 11]);
      expect(byLine[3]).toMatch(/column "origin_coord": "POINT \(14\.4\)" is not a WKT point/);
      expect(byLine[4]).toMatch(/longitude 214\.5 outside \[-180, 180\]/);
      expect(byLine[5]).toMatch(/datetime.*"2018-02-30 09:03:43" is not a valid date/);
      expect(byLine[6]).toMatch(/datetime.*is not a datetime like 2018-05-28 09:03:40/);
      expect(byLine[7]).toMatch(/has 4 fields but the header has 5/);
      expect(byLine[8]).toMatch(/has 6 fields but the header has 5/);
      expect(byLine[9]).toMatch(/region.*empty/);
      expect(byLine[11]).toMatch(/destination_coord.*POINT/);
      expect(letters.every((l) => l.origin === bad)).toBe(true);
      // Each keeps its row exactly as written, whether the CSV reader (3) or the trip schema (5) refused it.
      const payloads = Object.fromEntries(letters.map((l) => [l.position?.line, l.payload]));
      expect(payloads[3]).toBe('Prague,POINT (14.4),POINT (14.5 50.1),2018-05-28 09:03:41,funny_car\n');
      expect(payloads[5]).toBe('Prague,POINT (14.4 50.0),POINT (14.5 50.1),2018-02-30 09:03:43,funny_car\n');
      expect(await regionsOf(store, 'BABA_CAR')).toEqual({ datasource: 'baba_car', regions: ['Turin'] });
    } finally {
      await store.close();
      await target.drop();
    }
  }, 60_000);

  it('rollups equal a recount after an ingestion is killed mid-way and run again', async () => {
    const target = await fresh(kind);
    const file = join(dir, `kill-${kind}.csv`);
    await writeTrips(file, { rows: 10_000, seed: 3 });
    try {
      const args = ['ingest', file, '--store', target.url, '--batch', '500', '--json'];
      const first = startCli(args);
      // Kill it (and everything it started) once some batches have committed.
      await waitForOutput(first.stderr, /persisted [1-9]/);
      killGroup(first.child, 'SIGKILL');
      expect((await first.result).signal).toBe('SIGKILL');
      const { store } = await openModel(target.url);
      try {
        const before = await count(store, T.trips);
        expect(before).toBeGreaterThan(0);
        expect(before).toBeLessThan(10_000);
        const again = await runCli(args, 120_000);
        expect(again.code, again.stderr).toBe(0);
        const counts = lastJson<{ read: number; persisted: number; rejected: number; duplicates: number }>(again.stdout);
        expect(counts.read).toBe(counts.persisted + counts.rejected + counts.duplicates);
        const distinct = new Set(readFileSync(file, 'utf8').trim().split('\n').slice(1)).size;
        expect(await count(store, T.trips)).toBe(distinct);
        expect(before + counts.persisted).toBe(distinct);
        const { rollups, recount } = await rollupsAndRecount(store);
        expect(rollups).toEqual(recount);
      } finally {
        await store.close();
      }
    } finally {
      await target.drop();
    }
  }, 180_000);
});

describe('the command line', () => {
  let target: Awaited<ReturnType<typeof fresh>>;
  beforeAll(async () => {
    target = await fresh('sqlite');
  });
  afterAll(async () => target?.drop());

  it('ingest then ask regions answers Hamburg, Prague, Turin; bad usage exits 2', async () => {
    const ingest = await runCli(['ingest', sample, '--store', target.url, '--json']);
    expect(ingest.code, ingest.stderr).toBe(0);
    expect(lastJson(ingest.stdout)).toEqual({ read: 100, persisted: 100, rejected: 0, duplicates: 0 });
    const ask = await runCli(['ask', 'regions', '--datasource', 'cheap_mobile', '--json', '--store', target.url]);
    expect(lastJson(ask.stdout)).toEqual({ datasource: 'cheap_mobile', regions: ['Hamburg', 'Prague', 'Turin'] });
    const bad = await runCli(['weekly-average', '--bbox', '1,2,3', '--store', target.url]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--bbox "1,2,3" is not four numbers/);
  }, 60_000);

  it('a file whose header lacks a column fails with a clear message and exit code 1, not a crash', async () => {
    const file = join(tmpdir(), `trips-no-origin-${process.pid}.csv`);
    writeFileSync(file, 'region,origin,destination_coord,datetime,datasource\nPrague,POINT (14.4 50.1),POINT (14.5 50.0),2018-05-28 09:03:40,x\n');
    try {
      const result = await runCli(['ingest', file, '--store', target.url, '--json']);
      expect(result.code, result.stderr).toBe(1);
      expect(result.stderr).toMatch(/has no column "origin_coord".*\(the header has: "region", "origin"/);
      // Once an unhandled error of the status stream crashed the process after the message, with a stack.
      expect(result.stderr).not.toMatch(/reportUnhandledError|\n\s+at /);
    } finally {
      rmSync(file, { force: true });
    }
  }, 60_000);

  it('a missing file among others fails before any is ingested, naming it', async () => {
    const other = await fresh('sqlite');
    try {
      const missing = join(tmpdir(), `trips-missing-${process.pid}.csv`);
      const result = await runCli(['ingest', sample, missing, '--store', other.url, '--json']);
      expect(result.code, result.stderr).toBe(1);
      expect(result.stderr).toContain(`${missing} does not exist`);
      expect(result.stderr).toMatch(/Nothing was ingested/);
      const ask = await runCli(['ask', 'regions', '--datasource', 'cheap_mobile', '--json', '--store', other.url]);
      expect(lastJson(ask.stdout)).toEqual({ datasource: 'cheap_mobile', regions: [] });
    } finally {
      await other.drop();
    }
  }, 60_000);
});
