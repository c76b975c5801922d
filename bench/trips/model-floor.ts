/**
 * The floor of the trips model on PostgreSQL: what the server alone spends to put trips that are
 * already rows into the model, with no loader and no COPY parsing. The rows an ingestion stored are
 * copied, in random time order (by trip id, a hash, as trips come in a file), into an unlogged table
 * of a fresh database; then, 10,000 rows a transaction, each batch is moved into a staging table and
 * from there into `trips` with the store's own merge statement (`mergeSql`), as `pnpm trips ingest`
 * does. Three models, each from empty:
 *
 * - `key`: the month-partitioned table and its key (started_at, trip_id) only;
 * - `indexes`: plus the two covering area indexes (origin and destination cell, week);
 * - `model`: the whole model, plus the rollup trigger (five rollups from the rows really inserted)
 *   and the keep-first trigger.
 *
 * And variants of the whole model, tried as ways to lower its cost (`floor-variants.ts` runs them):
 *
 * - `merged-key`: the key is the origin area index, `(origin_cell, week, started_at, trip_id)
 *   INCLUDE (origin_lon, origin_lat)`, so a trip costs one index fewer;
 * - `fillfactor`: the rollup tables keep free space in their pages (70 %, the narrow ones 50 %), so
 *   that more of the upserts' updates are HOT;
 * - `delta-rollups`: the two wide rollups (area weeks, groups) are appended as per-batch deltas to
 *   tables without an index, folded into the rollups once after the load (that fold is counted);
 * - `bulk`: `pnpm trips ingest --bulk`'s statements (examples/trips/src/bulk.ts): all rows staged
 *   first (unlogged, by month), then each month built as its partition in one transaction (distinct
 *   trips inserted in key order, key and area indexes made by sorting, the table attached, rollups
 *   counted from it). The index builds run without parallel workers, so that all of the work is
 *   the backend's CPU;
 * - `bulk-parallel`: the same with two parallel workers for the index builds (their CPU is not the
 *   backend's, so only the wall time compares).
 *
 * The backend's CPU (from /proc) divided by the rows is the model's cost per row on one core: no
 * write path built on this model can go below it, and the difference between the three shows what
 * each part costs.
 */
import { pipeline } from 'node:stream/promises';
import { createRequire } from 'node:module';
import type { Readable, Writable } from 'node:stream';
// @ts-expect-error pg ships no types here (bench has no @types/pg); used untyped.
import pg from 'pg';
import { createPgStore } from '@sluice/store-pg';
import { beginStagingSql, endStagingSql, moveMonthSql } from '../../examples/trips/src/bulk.js';
import { T, createPartitionSql, createStagedMonthSql, migrateModel, tableSpecs } from '../../examples/trips/src/model.js';
import type { TripSettings } from '../../examples/trips/src/trip.js';
import { mergeSql } from '../../packages/store-pg/src/upsert.js';
import { cpuSecondsOf } from '../lib/proc.js';

const require = createRequire(import.meta.url);
const { from: copyFrom, to: copyTo } = require('pg-copy-streams') as { from(sql: string): Writable; to(sql: string): Readable };

/** One model's figures. */
export interface FloorPart {
  model: FloorModel;
  rows: number;
  /** Trips a transaction (`month` for the bulk models). */
  batch: number | 'month';
  /** The bulk models: seconds of each kind of step. */
  steps?: BulkSteps;
  seconds: number;
  /** The backend's CPU seconds, when /proc shows it (a server on this machine). */
  serverCpuS: number | undefined;
  /** Server CPU per row, µs. */
  usPerRow: number | undefined;
}

const BATCH = 10_000;
const STAGE = 'floor_stage';

/** The models: the three floors and the variants of the whole model. */
export type FloorModel = 'key' | 'indexes' | 'model' | 'merged-key' | 'fillfactor' | 'delta-rollups' | 'bulk' | 'bulk-parallel';
export const FLOOR_MODELS: readonly FloorModel[] = ['key', 'indexes', 'model', 'merged-key', 'fillfactor', 'delta-rollups', 'bulk', 'bulk-parallel'];

/** How a model differs from the whole one: SQL run after the migration, before any partition exists. */
interface Change {
  sql: string[];
  /** The merge's conflict key, when the table's key differs. */
  key?: string[];
  /** Rewrites the rollup trigger's function (its `CREATE OR REPLACE` text). */
  trigger?: (definition: string) => string;
  /** Run (and counted) after the last batch. */
  after?: string[];
  /** Loads by month (bulkLoad) instead of merging batch by batch; `parallel`: with parallel index builds. */
  bulk?: 'serial' | 'parallel';
}

const WIDE = { area: 'area_weeks', groups: 'trip_groups' };
const CHANGES: Record<FloorModel, Change> = {
  key: { sql: ['DROP TRIGGER trips_rollup ON trips', 'DROP TRIGGER trips_keep_first ON trips', 'DROP INDEX trips_origin_area', 'DROP INDEX trips_destination_area'] },
  indexes: { sql: ['DROP TRIGGER trips_rollup ON trips', 'DROP TRIGGER trips_keep_first ON trips'] },
  model: { sql: [] },
  'merged-key': {
    sql: ['ALTER TABLE trips DROP CONSTRAINT trips_pkey', 'DROP INDEX trips_origin_area', 'ALTER TABLE trips ADD PRIMARY KEY (origin_cell, week, started_at, trip_id) INCLUDE (origin_lon, origin_lat)'],
    key: ['origin_cell', 'week', 'started_at', 'trip_id'],
  },
  fillfactor: {
    sql: [
      ...[WIDE.area, WIDE.groups].map((t) => `ALTER TABLE ${t} SET (fillfactor = 70)`),
      ...['region_weeks', 'region_datasources', 'ingestion_counts'].map((t) => `ALTER TABLE ${t} SET (fillfactor = 50)`),
    ],
  },
  'delta-rollups': {
    sql: [
      'CREATE TABLE area_delta (side integer, cell bigint, week integer, trips bigint)',
      'CREATE TABLE groups_delta (region_id bigint, origin_cell bigint, destination_cell bigint, bucket integer, trips bigint)',
    ],
    // The wide upserts become plain appends of the statement's aggregated rows.
    trigger: (definition) =>
      definition
        .replace(new RegExp(`INSERT INTO ${WIDE.area}([^;]*?) ORDER BY [^;]*?ON CONFLICT[^;]*;`, 'g'), 'INSERT INTO area_delta$1;')
        .replace(new RegExp(`INSERT INTO ${WIDE.groups}([^;]*?) ORDER BY [^;]*?ON CONFLICT[^;]*;`, 'g'), 'INSERT INTO groups_delta$1;'),
    after: [
      `INSERT INTO ${WIDE.area} SELECT side, cell, week, sum(trips) FROM area_delta GROUP BY 1, 2, 3 ORDER BY 1, 2, 3 ` +
        `ON CONFLICT (side, cell, week) DO UPDATE SET trips = ${WIDE.area}.trips + excluded.trips`,
      `INSERT INTO ${WIDE.groups} SELECT region_id, origin_cell, destination_cell, bucket, sum(trips) FROM groups_delta GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4 ` +
        `ON CONFLICT (region_id, origin_cell, destination_cell, bucket) DO UPDATE SET trips = ${WIDE.groups}.trips + excluded.trips`,
      'TRUNCATE area_delta, groups_delta',
    ],
  },
  bulk: { sql: [], bulk: 'serial' },
  'bulk-parallel': { sql: [], bulk: 'parallel' },
};

/** Seconds the bulk models spent staging the rows, and moving them into `trips` a month at a time. */
export type BulkSteps = Record<'stage' | 'move', number>;

/** The ingestion id of the bulk models' rows (staged rows are partitioned by it). */
const BULK_INGESTION = 1;

/**
 * The `bulk` models: `pnpm trips ingest --bulk`'s own statements (examples/trips/src/bulk.ts), the
 * rows staged from `src` instead of by COPY. Runs on `target`, counted by the caller; returns the
 * seconds of each half. `parallel` lets the index builds use PostgreSQL's parallel workers.
 */
async function bulkLoad(target: { query(sql: string): Promise<unknown> }, months: readonly number[], columns: string, settings: TripSettings, parallel: boolean): Promise<BulkSteps> {
  const steps: BulkSteps = { stage: 0, move: 0 };
  const timed = async (step: keyof BulkSteps, sql: string) => {
    const started = performance.now();
    await target.query(sql);
    steps[step] += (performance.now() - started) / 1000;
  };
  await target.query(`SET max_parallel_maintenance_workers = ${parallel ? 2 : 0}`);
  await target.query('SET max_parallel_workers_per_gather = 0');
  await timed('stage', beginStagingSql(BULK_INGESTION));
  for (const ms of months) await timed('stage', createStagedMonthSql(BULK_INGESTION, ms));
  const staged = columns.replace(/\bingestion\b/, `${BULK_INGESTION}::bigint AS ingestion`);
  await timed('stage', `INSERT INTO ${T.staged} SELECT ${staged} FROM src ORDER BY rn`);
  for (const ms of months) await timed('move', moveMonthSql(BULK_INGESTION, ms, settings));
  await timed('move', endStagingSql(BULK_INGESTION));
  for (const step of Object.keys(steps) as (keyof BulkSteps)[]) steps[step] = Math.round(steps[step] * 10) / 10;
  return steps;
}

/**
 * Measures `models` (default: the three floors) with the trips stored in `sourceUrl` (the first
 * `rows` of them in random order, or all), each in a fresh database `floorDb` made and dropped
 * through `admin`.
 */
export async function modelFloor(
  sourceUrl: string,
  floorUrl: string,
  admin: (sql: string) => Promise<void>,
  floorDb: string,
  models: readonly FloorModel[] = ['key', 'indexes', 'model'],
  rows?: number,
  batch = BATCH,
): Promise<FloorPart[]> {
  const parts: FloorPart[] = [];
  for (const model of models) {
    const change = CHANGES[model];
    await admin(`DROP DATABASE IF EXISTS ${floorDb} WITH (FORCE)`);
    await admin(`CREATE DATABASE ${floorDb}`);
    const store = createPgStore({ connectionString: floorUrl, poolSize: 1 });
    let settings: TripSettings;
    try {
      settings = await migrateModel(store);
    } finally {
      await store.close();
    }
    const source = new pg.Client({ connectionString: sourceUrl });
    const target = new pg.Client({ connectionString: floorUrl });
    await source.connect();
    await target.connect();
    try {
      const spec = tableSpecs[0]!;
      const columns = spec.columns.map((c) => c.name).join(', ');
      const months = await source.query("SELECT DISTINCT extract(epoch FROM date_trunc('month', started_at)) * 1000 AS ms FROM trips");
      for (const sql of change.sql) await target.query(sql);
      if (change.trigger) {
        const definition = (await target.query("SELECT pg_get_functiondef('trips_rollup'::regproc) AS d")).rows[0].d as string;
        await target.query(change.trigger(definition));
      }
      const monthMs = (months.rows as { ms: string }[]).map((r) => Number(r.ms));
      if (!change.bulk) for (const ms of monthMs) await target.query(createPartitionSql(ms));
      await target.query(`CREATE UNLOGGED TABLE src AS SELECT ${columns}, 0::bigint AS rn FROM trips WITH NO DATA`);
      await pipeline(
        source.query(copyTo(`COPY (SELECT ${columns}, row_number() OVER (ORDER BY trip_id) FROM trips${rows === undefined ? '' : ` ORDER BY trip_id LIMIT ${rows}`}) TO STDOUT`)),
        target.query(copyFrom('COPY src FROM STDIN')),
      );
      await target.query('CREATE INDEX ON src (rn)');
      await target.query('ANALYZE src');
      await target.query(`CREATE TEMP TABLE ${STAGE} AS SELECT ${columns} FROM trips WITH NO DATA`);
      await target.query('CHECKPOINT');
      const total = Number((await target.query('SELECT count(*) AS n FROM src')).rows[0].n);
      const pid = Number((await target.query('SELECT pg_backend_pid() AS pid')).rows[0].pid);
      const merge = mergeSql('public', change.key ? { ...spec, key: change.key } : spec, STAGE);
      const cpuBefore = cpuSecondsOf(pid);
      const started = performance.now();
      const steps = change.bulk ? await bulkLoad(target, monthMs, columns, settings, change.bulk === 'parallel') : undefined;
      if (!change.bulk) for (let from = 1; from <= total; from += batch) {
        await target.query('BEGIN');
        await target.query(`INSERT INTO pg_temp.${STAGE} SELECT ${columns} FROM src WHERE rn >= $1 AND rn < $2`, [from, from + batch]);
        await target.query(merge);
        await target.query(`TRUNCATE pg_temp.${STAGE}`);
        await target.query('COMMIT');
      }
      if (change.after) {
        await target.query('BEGIN');
        for (const sql of change.after) await target.query(sql);
        await target.query('COMMIT');
      }
      const seconds = (performance.now() - started) / 1000;
      const cpuAfter = cpuSecondsOf(pid);
      const serverCpuS = cpuBefore === undefined || cpuAfter === undefined ? undefined : cpuAfter - cpuBefore;
      const stored = Number((await target.query('SELECT count(*) AS n FROM trips')).rows[0].n);
      if (stored !== total) throw new Error(`model floor (${model}): ${stored} trips stored of ${total} rows`);
      if (model !== 'key' && model !== 'indexes') {
        // Every variant did the whole model's work: the groups and each side of the area rollup count every trip.
        const sums = (await target.query(`SELECT (SELECT sum(trips) FROM ${WIDE.groups}) AS g, (SELECT sum(trips) FROM ${WIDE.area} WHERE side = 0) AS a`)).rows[0];
        if (Number(sums.g) !== total || Number(sums.a) !== total) throw new Error(`model floor (${model}): rollups count ${sums.g} groups' and ${sums.a} areas' trips of ${total}`);
      }
      const part: FloorPart = { model, rows: total, batch: change.bulk ? 'month' : batch, ...(steps ? { steps } : {}), seconds: Math.round(seconds * 10) / 10, serverCpuS: serverCpuS === undefined ? undefined : Math.round(serverCpuS * 10) / 10, usPerRow: serverCpuS === undefined ? undefined : Math.round((serverCpuS / total) * 1e7) / 10 };
      console.error(`model floor (${model}): ${JSON.stringify(part)}`);
      parts.push(part);
    } finally {
      await source.end();
      await target.end();
      await admin(`DROP DATABASE IF EXISTS ${floorDb} WITH (FORCE)`);
    }
  }
  return parts;
}
