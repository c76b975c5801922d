/**
 * The answers: weekly averages by region or box, groups of similar trips, and the two questions.
 * Region answers read only rollups; box answers read the area rollup for cells wholly inside and
 * raw rows (by the cell index) for boundary cells only. Memory is proportional to the answer.
 */
import { cellToLatLng, getResolution } from 'h3-js';
import { ConfigError, type Store } from '@sluice/core';
import { areaLevelsOf, rollupRanges } from './area-levels.js';
import { coverBox, descendantRange, type Box, type Cover } from './cover.js';
import { T, dialectOf } from './model.js';
import { mayBeWorthSplitting, monthsOfWeeks, SPLIT_COSTS, worthSplitting, type CellParts, type SpanSize, type SplitCosts } from './split-cost.js';
import { nameId, type TripSettings } from './trip.js';
import { dateOf, mondayOf, weekLabel } from './weeks.js';

/** Which end of a trip must lie in the area. */
export type Match = 'origin' | 'destination' | 'both';

/** The area of a weekly average. */
export type Area = { region: string } | { bbox: Box; match?: Match };

/** The weekly average and its weeks. */
export interface WeeklyAverage {
  weeks: number;
  trips: number;
  weeklyAverage: number;
  perWeek: { week: string; start: string; trips: number }[];
}

/** SQL placeholders of the store's dialect. */
class Params {
  readonly values: unknown[] = [];
  constructor(private readonly pg: boolean) {}
  add(value: unknown): string {
    this.values.push(value);
    return this.pg ? `$${this.values.length}` : '?';
  }
}

/** Most ranges or cells per statement (SQLite allows 32,766 parameters). */
const MAX_PER_QUERY = 8000;

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** The week span: from/to dates (epoch ms) or the whole data set; undefined when there are no trips. */
async function span(store: Store, from?: number, to?: number): Promise<{ first: number; last: number } | undefined> {
  if (from !== undefined && to !== undefined) return { first: mondayOf(from), last: mondayOf(to) };
  const [row] = await store.query<{ first: number | string | null; last: number | string | null }>(`SELECT min(week) AS first, max(week) AS last FROM ${T.regionWeeks}`);
  if (row?.first === null || row?.first === undefined) return undefined;
  return { first: from !== undefined ? mondayOf(from) : Number(row.first), last: to !== undefined ? mondayOf(to) : Number(row.last) };
}

/** Adds `(week, trips)` rows into per-week totals. */
function addRows(totals: Map<number, number>, rows: readonly { week: number | string; n: number | string }[]): void {
  for (const row of rows) totals.set(Number(row.week), (totals.get(Number(row.week)) ?? 0) + Number(row.n));
}

/** How a box is answered (the answer is the same either way). */
export interface BoxTuning {
  /**
   * Trips above which a boundary cell is split when the stored cells are finer. Default: no fixed
   * count; a cell is split where that is estimated cheaper (split-cost.ts).
   */
  splitBoundaryAbove?: number;
  /** The costs the split is estimated with (default `SPLIT_COSTS`). */
  splitCosts?: SplitCosts;
}

/** The weekly average of trips in an area; see the README for the definitions. */
export async function weeklyAverage(store: Store, settings: TripSettings, area: Area, range: { from?: number; to?: number } = {}, tuning: BoxTuning = {}): Promise<WeeklyAverage> {
  if ((range.from === undefined) !== (range.to === undefined)) throw new ConfigError('give both --from and --to, or neither', 'from');
  if (range.from !== undefined && range.to !== undefined && range.from > range.to) throw new ConfigError('--from is after --to', 'from');
  const weeks = await span(store, range.from, range.to);
  if (weeks === undefined) return { weeks: 0, trips: 0, weeklyAverage: 0, perWeek: [] };
  const totals = new Map<number, number>();
  const pg = dialectOf(store) === 'pg';
  if ('region' in area) {
    const p = new Params(pg);
    const sql = `SELECT week, trips AS n FROM ${T.regionWeeks} WHERE region_id = ${p.add(nameId(area.region))} AND week BETWEEN ${p.add(weeks.first)} AND ${p.add(weeks.last)}`;
    addRows(totals, await store.query(sql, p.values));
  } else {
    await boxTotals(store, settings, area.bbox, area.match ?? 'origin', weeks, totals, tuning);
  }
  const perWeek: WeeklyAverage['perWeek'] = [];
  let trips = 0;
  for (let week = weeks.first; week <= weeks.last; week += 7) {
    const n = totals.get(week) ?? 0;
    trips += n;
    perWeek.push({ week: weekLabel(week), start: dateOf(week), trips: n });
  }
  return { weeks: perWeek.length, trips, weeklyAverage: perWeek.length === 0 ? 0 : trips / perWeek.length, perWeek };
}

/** Adds the per-week trips of a box into `totals`. */
async function boxTotals(store: Store, settings: TripSettings, box: Box, match: Match, weeks: { first: number; last: number }, totals: Map<number, number>, tuning: BoxTuning): Promise<void> {
  const pg = dialectOf(store) === 'pg';
  // Boundary cells at the grouping resolution first; those holding many trips are split below.
  const cover = coverBox(box, settings.areaResolution, settings.resolution);
  /** The stored cells (an index range) of a boundary cell, which may be coarser than they are. */
  const storedRange = (decimal: string): [string, string] => {
    const [lo, hi] = descendantRange(BigInt(decimal).toString(16), settings.areaResolution);
    return [lo.toString(), hi.toString()];
  };
  const inBox = (p: Params, which: 'origin' | 'destination') =>
    `${which}_lon BETWEEN ${p.add(box.minLon)} AND ${p.add(box.maxLon)} AND ${which}_lat BETWEEN ${p.add(box.minLat)} AND ${p.add(box.maxLat)}`;
  const weekRange = (p: Params, column: string) => `${column} BETWEEN ${p.add(weeks.first)} AND ${p.add(weeks.last)}`;
  const rangesSql = (p: Params, ranges: [string, string][]) =>
    pg
      ? `SELECT * FROM unnest(${p.add(ranges.map((r) => r[0]))}::bigint[], ${p.add(ranges.map((r) => r[1]))}::bigint[]) AS r(lo, hi)`
      : `VALUES ${ranges.map((r) => `(${p.add(r[0])}, ${p.add(r[1])})`).join(', ')}`;
  /** Per-week counts of raw trips whose `end` cell lies in one of `ranges` and that `where` keeps. */
  const rawRows = async (end: 'origin' | 'destination', ranges: [string, string][], where: (p: Params) => string) => {
    // Single stored cells: one index scan over all of them (cheaper than a range scan each).
    for (const part of chunks(ranges.filter(([lo, hi]) => lo === hi).map(([cell]) => cell), MAX_PER_QUERY)) {
      const p = new Params(pg);
      const cells = pg ? `= ANY(${p.add(part)}::bigint[])` : `IN (${part.map((c) => p.add(c)).join(', ')})`;
      addRows(totals, await store.query(`SELECT week, count(*) AS n FROM ${T.trips} WHERE ${end}_cell ${cells} AND ${where(p)} AND ${weekRange(p, 'week')} GROUP BY week`, p.values));
    }
    for (const part of chunks(ranges.filter(([lo, hi]) => lo !== hi), MAX_PER_QUERY)) {
      const p = new Params(pg);
      // PostgreSQL: LATERAL … OFFSET 0 keeps one index range scan per range (a join on BETWEEN may be planned as a scan).
      const sql = pg
        ? `SELECT t.week AS week, count(*) AS n FROM (${rangesSql(p, part)}) r CROSS JOIN LATERAL (SELECT week FROM ${T.trips} ` +
          `WHERE ${end}_cell BETWEEN r.lo AND r.hi AND ${where(p)} AND ${weekRange(p, 'week')} OFFSET 0) t GROUP BY t.week`
        : `WITH r(lo, hi) AS (${rangesSql(p, part)}) SELECT t.week AS week, count(*) AS n FROM r JOIN ${T.trips} t ON t.${end}_cell BETWEEN r.lo AND r.hi ` +
          `WHERE ${where(p)} AND ${weekRange(p, 't.week')} GROUP BY t.week`;
      addRows(totals, await store.query(sql, p.values));
    }
  };
  if (match === 'both') {
    // Both ends: raw rows of the trips whose origin lies in the cover, both ends checked exactly.
    const all = [...rollupRanges(cover.insideCells, [settings.areaResolution]), ...cover.boundary.map(storedRange)];
    await rawRows('origin', all, (p) => `${inBox(p, 'origin')} AND ${inBox(p, 'destination')}`);
    return;
  }
  const side = match === 'origin' ? 0 : 1;
  /** The boundary cells (decimal) among `candidates` with trips in the span, and their trips, from the rollup. */
  const occupied = async (candidates: string[]) => {
    const found: { cell: string; trips: number }[] = [];
    for (const part of chunks(candidates, MAX_PER_QUERY)) {
      const q = new Params(pg);
      const list = pg ? `= ANY(${q.add(part)}::bigint[])` : `IN (${part.map((c) => q.add(c)).join(', ')})`;
      const rows = await store.query<{ cell: string | number; n: string | number }>(
        `SELECT CAST(cell AS TEXT) AS cell, sum(trips) AS n FROM ${T.areaWeeks} WHERE side = ${side} AND cell ${list} AND ${weekRange(q, 'week')} GROUP BY cell`,
        q.values,
      );
      for (const row of rows) found.push({ cell: String(row.cell), trips: Number(row.n) });
    }
    return found;
  };
  // Only boundary cells with trips in the span are read (one rollup lookup each, instead of one
  // index descent per cell and month partition). With finer stored cells, a boundary cell is split
  // where that is cheaper: its parts inside come from the rollup, its strip along the edge from rows.
  const inside = [...cover.insideCells];
  const read: string[] = [];
  const edgeParts: string[] = [];
  const size: SpanSize = { weeks: (weeks.last - weeks.first) / 7 + 1, months: monthsOfWeeks(weeks.first, weeks.last) };
  const { splitBoundaryAbove: splitAbove, splitCosts: costs = SPLIT_COSTS } = tuning;
  const finer = settings.areaResolution > settings.resolution;
  const fixed = splitAbove !== undefined;
  for (const { cell, trips } of await occupied(cover.boundary)) {
    if (!finer || (fixed ? trips <= splitAbove : !mayBeWorthSplitting(trips, costs))) {
      read.push(cell);
      continue;
    }
    const parts = coverBox(box, settings.areaResolution, settings.areaResolution, [BigInt(cell).toString(16)]);
    if (fixed || worthSplitting(trips, cellParts(parts, settings), size, costs)) {
      inside.push(...parts.insideCells);
      edgeParts.push(...parts.boundary);
    } else {
      read.push(cell);
    }
  }
  if (edgeParts.length > 0) read.push(...(await occupied(edgeParts)).map((found) => found.cell));
  // Cells wholly inside are summed from the coarsest level of the area rollup that holds them.
  for (const part of chunks(rollupRanges(inside, areaLevelsOf(settings)), MAX_PER_QUERY)) {
    const p = new Params(pg);
    const sql = pg
      ? `SELECT a.week AS week, sum(a.trips) AS n FROM (${rangesSql(p, part)}) r CROSS JOIN LATERAL (SELECT week, trips FROM ${T.areaWeeks} ` +
        `WHERE side = ${side} AND cell BETWEEN r.lo AND r.hi AND ${weekRange(p, 'week')} OFFSET 0) a GROUP BY a.week`
      : `WITH r(lo, hi) AS (${rangesSql(p, part)}) SELECT a.week AS week, sum(a.trips) AS n FROM r JOIN ${T.areaWeeks} a ` +
        `ON a.side = ${side} AND a.cell BETWEEN r.lo AND r.hi WHERE ${weekRange(p, 'a.week')} GROUP BY a.week`;
    addRows(totals, await store.query(sql, p.values));
  }
  if (read.length > 0) await rawRows(match, read.map(storedRange), (p) => inBox(p, match));
}

/** How one boundary cell at the grouping resolution falls apart into stored cells (see split-cost.ts): `parts` is its cover. */
export function cellParts(parts: Cover, settings: TripSettings): CellParts {
  const stored = (cell: string) => 7 ** (settings.areaResolution - getResolution(cell));
  return {
    parts: 7 ** (settings.areaResolution - settings.resolution),
    inside: parts.insideCells.reduce((sum, cell) => sum + stored(cell), 0),
    insideRanges: rollupRanges(parts.insideCells, areaLevelsOf(settings)).length,
    edge: parts.boundary.length,
  };
}

/** A group of similar trips. */
export interface Group {
  trips: number;
  origin: { cell: string; lon: number; lat: number };
  destination: { cell: string; lon: number; lat: number };
  bucket: { index: number; from: string; to: string };
}

function hhmm(minutes: number): string {
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}

function cellInfo(decimal: string | number): Group['origin'] {
  const cell = BigInt(decimal).toString(16);
  const [lat, lon] = cellToLatLng(cell);
  return { cell, lon, lat };
}

/** The largest groups (optionally of one region), and the total of all groups (which equals the trips). */
export async function groups(store: Store, settings: TripSettings, options: { region?: string; limit?: number } = {}): Promise<{ total: number; groups: Group[] }> {
  const p = new Params(dialectOf(store) === 'pg');
  const where = options.region === undefined ? '' : `WHERE region_id = ${p.add(nameId(options.region))}`;
  const [sum] = await store.query<{ n: number | string | null }>(`SELECT sum(trips) AS n FROM ${T.groups} ${where}`, [...p.values]);
  const limit = p.add(options.limit ?? 20);
  const rows = await store.query<{ o: string | number; d: string | number; bucket: number; n: number | string }>(
    `SELECT origin_cell AS o, destination_cell AS d, bucket, sum(trips) AS n FROM ${T.groups} ${where} ` +
      `GROUP BY origin_cell, destination_cell, bucket ORDER BY n DESC, o, d, bucket LIMIT ${limit}`,
    p.values,
  );
  return {
    total: Number(sum?.n ?? 0),
    groups: rows.map((row) => ({
      trips: Number(row.n),
      origin: cellInfo(row.o),
      destination: cellInfo(row.d),
      bucket: { index: row.bucket, from: hhmm(row.bucket * settings.bucketMinutes), to: hhmm((row.bucket + 1) * settings.bucketMinutes) },
    })),
  };
}

/** `YYYY-MM-DD HH:MM:SS` (with `.sss` when the time has milliseconds) of a timestamp as a store returns it (epoch ms, Date or text). */
function datetimeText(value: unknown): string {
  const ms = value instanceof Date ? value.getTime() : typeof value === 'string' && !/^\d+$/.test(value) ? Date.parse(value) : Number(value);
  return new Date(ms).toISOString().slice(0, ms % 1000 === 0 ? 19 : 23).replace('T', ' ');
}

/** The two most common regions, and the datasource of the latest trip among them. */
export async function latestDatasource(store: Store): Promise<{ regions: string[]; datasource: string | null; datetime: string | null }> {
  const top = await store.query<{ id: number | string; name: string }>(
    `SELECT r.id AS id, r.name AS name FROM (SELECT region_id, sum(trips) AS n FROM ${T.regionWeeks} GROUP BY region_id) c ` +
      `JOIN ${T.regions} r ON r.id = c.region_id ORDER BY c.n DESC, r.name LIMIT 2`,
  );
  if (top.length === 0) return { regions: [], datasource: null, datetime: null };
  const p = new Params(dialectOf(store) === 'pg');
  const [latest] = await store.query<{ name: string; latest_at: unknown }>(
    `SELECT d.name AS name, rd.latest_at AS latest_at FROM ${T.regionDatasources} rd JOIN ${T.datasources} d ON d.id = rd.datasource_id ` +
      `WHERE rd.region_id IN (${top.map((r) => p.add(r.id)).join(', ')}) ORDER BY rd.latest_at DESC, d.name LIMIT 1`,
    p.values,
  );
  return { regions: top.map((r) => r.name), datasource: latest?.name ?? null, datetime: latest ? datetimeText(latest.latest_at) : null };
}

/** The regions in which a datasource has trips, sorted. */
export async function regionsOf(store: Store, datasource: string): Promise<{ datasource: string; regions: string[] }> {
  const p = new Params(dialectOf(store) === 'pg');
  const rows = await store.query<{ name: string }>(
    `SELECT r.name AS name FROM ${T.regionDatasources} rd JOIN ${T.regions} r ON r.id = rd.region_id WHERE rd.datasource_id = ${p.add(nameId(datasource))}`,
    p.values,
  );
  const q = new Params(dialectOf(store) === 'pg');
  const [named] = await store.query<{ name: string }>(`SELECT name FROM ${T.datasources} WHERE id = ${q.add(nameId(datasource))}`, q.values);
  return { datasource: named?.name ?? datasource, regions: rows.map((r) => r.name).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)) };
}

