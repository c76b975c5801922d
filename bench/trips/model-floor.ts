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
 *   tables without an index, folded into the rollups once after the load (that fold is counted).
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
import { createPartitionSql, migrateModel, tableSpecs } from '../../examples/trips/src/model.js';
import { mergeSql } from '../../packages/store-pg/src/upsert.js';
import { cpuSecondsOf } from '../lib/proc.js';

const require = createRequire(import.meta.url);
const { from: copyFrom, to: copyTo } = require('pg-copy-streams') as { from(sql: string): Writable; to(sql: string): Readable };

/** One model's figures. */
export interface FloorPart {
  model: FloorModel;
  rows: number;
  seconds: number;
  /** The backend's CPU seconds, when /proc shows it (a server on this machine). */
  serverCpuS: number | undefined;
  /** Server CPU per row, µs. */
  usPerRow: number | undefined;
}

const BATCH = 10_000;
const STAGE = 'floor_stage';

/** The models: the three floors and the variants of the whole model. */
export type FloorModel = 'key' | 'indexes' | 'model' | 'merged-key' | 'fillfactor' | 'delta-rollups';
export const FLOOR_MODELS: readonly FloorModel[] = ['key', 'indexes', 'model', 'merged-key', 'fillfactor', 'delta-rollups'];

/** How a model differs from the whole one: SQL run after the migration, before any partition exists. */
interface Change {
  sql: string[];
  /** The merge's conflict key, when the table's key differs. */
  key?: string[];
  /** Rewrites the rollup trigger's function (its `CREATE OR REPLACE` text). */
  trigger?: (definition: string) => string;
  /** Run (and counted) after the last batch. */
  after?: string[];
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
};

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
): Promise<FloorPart[]> {
  const parts: FloorPart[] = [];
  for (const model of models) {
    const change = CHANGES[model];
    await admin(`DROP DATABASE IF EXISTS ${floorDb} WITH (FORCE)`);
    await admin(`CREATE DATABASE ${floorDb}`);
    const store = createPgStore({ connectionString: floorUrl, poolSize: 1 });
    try {
      await migrateModel(store);
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
      for (const { ms } of months.rows as { ms: string }[]) await target.query(createPartitionSql(Number(ms)));
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
      for (let from = 1; from <= total; from += BATCH) {
        await target.query('BEGIN');
        await target.query(`INSERT INTO pg_temp.${STAGE} SELECT ${columns} FROM src WHERE rn >= $1 AND rn < $2`, [from, from + BATCH]);
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
      const part = { model, rows: total, seconds: Math.round(seconds * 10) / 10, serverCpuS: serverCpuS === undefined ? undefined : Math.round(serverCpuS * 10) / 10, usPerRow: serverCpuS === undefined ? undefined : Math.round((serverCpuS / total) * 1e7) / 10 };
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
