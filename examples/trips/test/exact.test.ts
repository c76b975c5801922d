/**
 * Weekly averages by box and region equal a brute-force count over the raw rows, on generated data
 * with many points exactly on the edges and corners of the boxes, and just outside them.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSeededRandom, type Store } from '@sluice/core';
import { openStore } from '@sluice/runtime';
import type { Box } from '../src/cover.js';
import { resolutionSql } from '../src/area-levels.js';
import { ingestFiles } from '../src/ingest.js';
import { T, migrateModel } from '../src/model.js';
import { weeklyAverage, type Match } from '../src/queries.js';
import { SPLIT_COSTS } from '../src/split-cost.js';
import { nameKey, tripContent, type Trip, type TripSettings } from '../src/trip.js';
import { dateOf, mondayOf, weekLabel } from '../src/weeks.js';
import { fresh, openModel, rollupsAndRecount, storeKinds, type FreshStore } from './support/stores.js';

const boxes: Record<string, Box> = {
  district: { minLon: 14.41, minLat: 50.07, maxLon: 14.43, maxLat: 50.085 },
  city: { minLon: 14.3, minLat: 49.95, maxLon: 14.6, maxLat: 50.15 },
  country: { minLon: 12.1, minLat: 48.55, maxLon: 18.85, maxLat: 51.05 },
  thin: { minLon: 14.45, minLat: 50.0, maxLon: 14.45, maxLat: 50.1 },
};

/** Trips around Prague: random points, points on every edge and corner of the boxes, and just outside. */
function makeTrips(count: number): Trip[] {
  const random = createSeededRandom(7);
  const start = Date.UTC(2018, 3, 2);
  const regions = ['Prague', 'prague ', 'Brno', 'Turin'];
  const edgePoint = (): { lon: number; lat: number } => {
    const box = Object.values(boxes)[random.int(4)]!;
    const lon = box.minLon + random.next() * (box.maxLon - box.minLon);
    const lat = box.minLat + random.next() * (box.maxLat - box.minLat);
    const pick = random.int(8);
    const tiny = (x: number, dir: number) => x + dir * Math.max(Math.abs(x) * Number.EPSILON, 1e-300);
    switch (pick) {
      case 0: return { lon: box.minLon, lat };
      case 1: return { lon: box.maxLon, lat };
      case 2: return { lon, lat: box.minLat };
      case 3: return { lon, lat: box.maxLat };
      case 4: return { lon: random.int(2) ? box.minLon : box.maxLon, lat: random.int(2) ? box.minLat : box.maxLat };
      case 5: return { lon: tiny(box.minLon, -1), lat };
      case 6: return { lon, lat: tiny(box.maxLat, 1) };
      default: return { lon: tiny(box.maxLon, 1), lat: tiny(box.minLat, -1) };
    }
  };
  const point = () => (random.next() < 0.4 ? edgePoint() : { lon: 14.45 + random.normal() * 1.5, lat: 50.05 + random.normal() * 0.8 });
  const trips: Trip[] = [];
  for (let i = 0; i < count; i++) {
    // Weeks 0-9 and 12-14: weeks 10 and 11 have no trips at all.
    const week = random.next() < 0.8 ? random.int(10) : 12 + random.int(3);
    trips.push({
      region: regions[random.int(regions.length)]!,
      datasource: ['cheap_mobile', 'funny_car'][random.int(2)]!,
      origin: point(),
      destination: point(),
      at: start + week * 7 * 86_400_000 + random.int(7 * 86_400) * 1000,
    });
    if (random.next() < 0.05) trips.push(trips[trips.length - 1]!); // an exact duplicate row
  }
  return trips;
}

function toCsv(trips: readonly Trip[]): string {
  const t = (ms: number) => new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
  return (
    'region,origin_coord,destination_coord,datetime,datasource\n' +
    trips.map((x) => `${x.region},POINT (${x.origin.lon} ${x.origin.lat}),POINT (${x.destination.lon} ${x.destination.lat}),${t(x.at)},${x.datasource}`).join('\n') +
    '\n'
  );
}

const inBox = (p: { lon: number; lat: number }, b: Box) => b.minLon <= p.lon && p.lon <= b.maxLon && b.minLat <= p.lat && p.lat <= b.maxLat;

/** The brute-force answer over the distinct trips. */
function bruteForce(trips: readonly Trip[], keep: (trip: Trip) => boolean, span?: { from: number; to: number }) {
  const distinct = new Map(trips.map((trip) => [tripContent(trip), trip]));
  const weeks = [...distinct.values()].map((trip) => mondayOf(trip.at));
  const first = span ? mondayOf(span.from) : Math.min(...weeks);
  const last = span ? mondayOf(span.to) : Math.max(...weeks);
  const perWeek: { week: string; start: string; trips: number }[] = [];
  for (let w = first; w <= last; w += 7) perWeek.push({ week: weekLabel(w), start: dateOf(w), trips: 0 });
  for (const trip of distinct.values()) {
    const w = mondayOf(trip.at);
    if (w < first || w > last || !keep(trip)) continue;
    perWeek[(w - first) / 7]!.trips++;
  }
  const total = perWeek.reduce((sum, week) => sum + week.trips, 0);
  return { weeks: perWeek.length, trips: total, weeklyAverage: total / perWeek.length, perWeek };
}

/** The stores and models the answers are checked on. */
const cases: { name: string; kind: 'sqlite' | 'pg'; wanted: Partial<TripSettings> }[] = [
  { name: 'sqlite', kind: 'sqlite', wanted: {} },
  // PostgreSQL with the coarse area levels, so that boxes are answered from them too.
  ...storeKinds.filter((k) => k === 'pg').flatMap((kind) => [
    { name: 'pg, 3 coarse levels', kind, wanted: { areaLevels: 3 } },
    // Cells stored at resolution 10: small boxes' boundaries at 10, large ones' at the grouping resolution 8.
    { name: 'pg, cells at resolution 10', kind, wanted: { areaResolution: 10, areaLevels: 1 } },
  ]),
];

describe.each(cases)('weekly averages on $name equal brute force', ({ kind, wanted }) => {
  const trips = makeTrips(4000);
  let target: FreshStore;
  let store: Store;
  let settings: TripSettings;
  let file: string | undefined;

  beforeAll(async () => {
    target = await fresh(kind);
    ({ store, settings } = await openModel(target.url, wanted));
    const dir = target.kind === 'sqlite' ? target.url.slice('sqlite:'.length).replace(/trips\.db$/, '') : tmpdir();
    file = join(dir, `exact-${process.pid}-${kind}.csv`);
    writeFileSync(file, toCsv(trips));
    const counts = await ingestFiles({ store, files: [file], settings }).done;
    expect(counts.rejected).toBe(0);
    expect(counts.persisted).toBe(new Set(trips.map(tripContent)).size);
    expect(counts.read).toBe(counts.persisted + counts.rejected + counts.duplicates);
  }, 60_000);
  afterAll(async () => {
    await store?.close();
    await target?.drop();
    if (file) rmSync(file, { force: true });
  });

  for (const [name, box] of Object.entries(boxes)) {
    for (const match of ['origin', 'destination', 'both'] as Match[]) {
      it(`${name} box, match ${match}`, async () => {
        const keep = (trip: Trip) =>
          match === 'origin' ? inBox(trip.origin, box) : match === 'destination' ? inBox(trip.destination, box) : inBox(trip.origin, box) && inBox(trip.destination, box);
        const expected = bruteForce(trips, keep);
        expect(expected.trips).toBeGreaterThan(0);
        expect(await weeklyAverage(store, settings, { bbox: box, match })).toEqual(expected);
        // Every occupied boundary cell split into its parts (only with finer stored cells does that change the reads).
        expect(await weeklyAverage(store, settings, { bbox: box, match }, {}, { splitBoundaryAbove: 0 })).toEqual(expected);
        // Split by estimated cost with rows made dear: cells with many trips split, the others read.
        expect(await weeklyAverage(store, settings, { bbox: box, match }, {}, { splitCosts: { ...SPLIT_COSTS, row: 40 } })).toEqual(expected);
      });
    }
  }

  it('a box whose edges are the coordinates of stored points, and a span from --from to --to', async () => {
    const sample = trips[17]!;
    const box = { minLon: sample.origin.lon, minLat: sample.origin.lat, maxLon: sample.origin.lon + 0.05, maxLat: sample.origin.lat + 0.05 };
    const span = { from: Date.UTC(2018, 4, 2), to: Date.UTC(2018, 5, 20) };
    expect(await weeklyAverage(store, settings, { bbox: box }, span)).toEqual(bruteForce(trips, (t) => inBox(t.origin, box), span));
  });

  it('regions, compared without case and spaces; weeks without trips count', async () => {
    for (const region of ['PRAGUE', 'brno', 'Turin', 'Nowhere']) {
      const expected = bruteForce(trips, (t) => nameKey(t.region) === nameKey(region));
      expect(expected.perWeek.some((w) => w.trips === 0)).toBe(true);
      expect(await weeklyAverage(store, settings, { region })).toEqual(expected);
    }
  });

  it('rollups equal a recount of the trips', async () => {
    const stored = await store.query<{ r: number | string }>(`SELECT DISTINCT ${resolutionSql('origin_cell')} AS r FROM ${T.trips}`);
    expect(stored.map((row) => Number(row.r))).toEqual([settings.areaResolution]);
    const { rollups, recount } = await rollupsAndRecount(store);
    expect(rollups).toEqual(recount);
  });

  it('refuses to change the area levels or the stored cells of a store, and SQLite keeps no other level', async () => {
    await expect(migrateModel(store, { areaLevels: 2 })).rejects.toThrow(kind === 'pg' ? new RegExp(`--area-levels 2 differs from ${settings.areaLevels}`) : /--area-levels is for PostgreSQL/);
    await expect(migrateModel(store, { areaResolution: 11 })).rejects.toThrow(kind === 'pg' ? new RegExp(`--area-resolution 11 differs from ${settings.areaResolution}`) : /--area-resolution is for PostgreSQL/);
    await expect(migrateModel(store)).resolves.toEqual(settings);
  });

  it('refuses settings that contradict each other before making any table', async () => {
    const empty = await fresh(kind);
    const other = await openStore(empty.url);
    try {
      const [wanted, message] = kind === 'pg' ? [{ resolution: 9, areaResolution: 8 }, /--area-resolution 8 must lie between --resolution \(9\) and 15/] : [{ areaResolution: 10 }, /--area-resolution is for PostgreSQL/];
      const tables = kind === 'pg' ? `SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema()` : `SELECT name FROM sqlite_master WHERE type = 'table'`;
      const before = await other.query(tables); // the store's own, if any
      await expect(migrateModel(other, wanted)).rejects.toThrow(message);
      expect(await other.query(tables)).toEqual(before);
      expect(before.some((row) => row.name === T.trips)).toBe(false);
    } finally {
      await other.close();
      await empty.drop();
    }
  });

  // A store that has finer cells was never one from before the setting.
  it.skipIf(wanted.areaResolution !== undefined)('a store from before --area-resolution keeps its cells at the grouping resolution, and records that', async () => {
    await store.query(`DELETE FROM ${T.settings} WHERE name = 'areaResolution'`);
    await expect(migrateModel(store, { areaResolution: 10 })).rejects.toThrow(kind === 'pg' ? /--area-resolution 10 differs from 8/ : /--area-resolution is for PostgreSQL/);
    await expect(migrateModel(store)).resolves.toEqual(settings);
    const [row] = await store.query<{ value: string }>(`SELECT value FROM ${T.settings} WHERE name = 'areaResolution'`);
    expect(row?.value).toBe(String(settings.resolution));
  });

  it.skipIf(kind !== 'pg')('a store built before the coarse area levels gets them from its finest rows when migrated with --area-levels', async () => {
    const [coarse] = await store.query<{ n: number | string }>(`SELECT count(*) AS n FROM ${T.areaWeeks} WHERE ${resolutionSql('cell')} < ${settings.resolution}`);
    expect(Number(coarse?.n)).toBeGreaterThan(0);
    await store.query(`DELETE FROM ${T.areaWeeks} WHERE ${resolutionSql('cell')} <> ${settings.areaResolution}`);
    await store.query(`DELETE FROM ${T.settings} WHERE name = 'areaLevels'`);
    expect(await migrateModel(store, { areaLevels: settings.areaLevels })).toEqual(settings);
    const { rollups, recount } = await rollupsAndRecount(store);
    expect(rollups).toEqual(recount);
    expect(await weeklyAverage(store, settings, { bbox: boxes.country! })).toEqual(bruteForce(trips, (t) => inBox(t.origin, boxes.country!)));
  });
});
