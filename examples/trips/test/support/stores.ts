/** The stores the tests run on: SQLite always, PostgreSQL (a fresh database per suite) when reachable. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomName, requireService, serviceUrls } from '@sluice/core/testkit';
import { openStore } from '@sluice/runtime';
import type { Store } from '@sluice/core';
import { cellToParent } from 'h3-js';
import { T, migrateModel } from '../../src/model.js';
import { areaLevelsOf } from '../../src/area-levels.js';
import { DEFAULT_SETTINGS, type TripSettings } from '../../src/trip.js';

/** A store URL of a kind, made fresh, and how to remove it. */
export interface FreshStore {
  kind: 'sqlite' | 'pg';
  url: string;
  drop(): Promise<void>;
}

/** A fresh SQLite file. */
export function freshSqlite(): FreshStore {
  const dir = mkdtempSync(join(tmpdir(), 'trips-test-'));
  return { kind: 'sqlite', url: `sqlite:${join(dir, 'trips.db')}`, drop: async () => rmSync(dir, { recursive: true, force: true }) };
}

/** A fresh PostgreSQL database (created through the server's default database). */
export async function freshPg(): Promise<FreshStore> {
  const admin = await openStore(serviceUrls.pg);
  const name = randomName('trips');
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.close();
  }
  const url = serviceUrls.pg.replace(/\/[^/]*$/, `/${name}`);
  return {
    kind: 'pg',
    url,
    drop: async () => {
      const again = await openStore(serviceUrls.pg);
      try {
        await again.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await again.close();
      }
    },
  };
}

/** Whether PostgreSQL tests run (throws under CI=true when it is down). */
export const pgAvailable = await requireService('PostgreSQL', serviceUrls.pg);

/** The kinds to run a suite on. */
export const storeKinds: ('sqlite' | 'pg')[] = pgAvailable ? ['sqlite', 'pg'] : ['sqlite'];

export async function fresh(kind: 'sqlite' | 'pg'): Promise<FreshStore> {
  return kind === 'sqlite' ? freshSqlite() : freshPg();
}

/** Opens a store on a URL with the model migrated. */
export async function openModel(url: string, wanted: Partial<TripSettings> = {}): Promise<{ store: Store; settings: TripSettings }> {
  const store = await openStore(url);
  return { store, settings: await migrateModel(store, wanted) };
}

/** Each rollup next to a recount from the trips table, as sorted text lines (equal when consistent; cells as exact text). */
export async function rollupsAndRecount(store: Store): Promise<{ rollups: string[]; recount: string[] }> {
  const lines = async (sql: string) => (await store.query(sql)).map((row) => Object.values(row).map(String).join('|')).sort();
  const ts = store.name === 'pg' ? (c: string) => `(extract(epoch from ${c}) * 1000)::bigint` : (c: string) => c;
  const rollups = [
    ...(await lines(`SELECT 'rw', region_id, week, trips FROM ${T.regionWeeks}`)),
    ...(await lines(`SELECT 'aw', side, CAST(cell AS TEXT), week, trips FROM ${T.areaWeeks}`)),
    ...(await lines(`SELECT 'g', CAST(region_id AS TEXT), CAST(origin_cell AS TEXT), CAST(destination_cell AS TEXT), bucket, trips FROM ${T.groups}`)),
    ...(await lines(`SELECT 'rd', region_id, datasource_id, trips, ${ts('latest_at')} FROM ${T.regionDatasources}`)),
    ...(await lines(`SELECT 'n', sum(new_trips) FROM ${T.ingestions}`)),
  ].sort();
  const recount = [
    ...(await lines(`SELECT 'rw', region_id, week, count(*) FROM ${T.trips} GROUP BY region_id, week`)),
    ...(await lines(`SELECT 'aw' AS k, 0 AS side, CAST(origin_cell AS TEXT), week, count(*) FROM ${T.trips} GROUP BY origin_cell, week`)),
    ...(await lines(`SELECT 'aw' AS k, 1 AS side, CAST(destination_cell AS TEXT), week, count(*) FROM ${T.trips} GROUP BY destination_cell, week`)),

    ...(await lines(`SELECT 'rd', region_id, datasource_id, count(*), ${ts('max(started_at)')} FROM ${T.trips} GROUP BY region_id, datasource_id`)),
    ...(await lines(`SELECT 'n', count(*) FROM ${T.trips}`)),
    ...(await recountInJs(store)),
  ].sort();
  return { rollups, recount };
}

/**
 * What the store computes with parent cells, recounted from the trips with h3-js's own
 * `cellToParent`: the groups (at the grouping resolution) and the levels of `area_weeks` below the
 * stored cells' resolution (as the store recorded its settings).
 */
async function recountInJs(store: Store): Promise<string[]> {
  const recorded = Object.fromEntries((await store.query<{ name: string; value: string }>(`SELECT name, value FROM ${T.settings}`)).map((r) => [r.name, Number(r.value)]));
  const settings = { ...DEFAULT_SETTINGS, areaResolution: recorded.resolution, ...recorded } as TripSettings;
  const levels = areaLevelsOf(settings).slice(1);
  const parent = (cell: string, level: number) => (level === settings.areaResolution ? cell : BigInt(`0x${cellToParent(BigInt(cell).toString(16), level)}`).toString());
  const counts = new Map<string, number>();
  const add = (key: string) => counts.set(key, (counts.get(key) ?? 0) + 1);
  const trips = await store.query<{ region: string; o: string; d: string; bucket: number; week: number }>(
    `SELECT CAST(region_id AS TEXT) AS region, CAST(origin_cell AS TEXT) AS o, CAST(destination_cell AS TEXT) AS d, bucket, week FROM ${T.trips}`,
  );
  for (const trip of trips) {
    add(`g|${trip.region}|${parent(trip.o, settings.resolution)}|${parent(trip.d, settings.resolution)}|${trip.bucket}`);
    for (const [side, cell] of [[0, trip.o], [1, trip.d]] as const) {
      for (const level of levels) add(`aw|${side}|${parent(cell, level)}|${trip.week}`);
    }
  }
  return [...counts].map(([key, n]) => `${key}|${n}`);
}
