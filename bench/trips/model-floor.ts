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
  model: 'key' | 'indexes' | 'model';
  rows: number;
  seconds: number;
  /** The backend's CPU seconds, when /proc shows it (a server on this machine). */
  serverCpuS: number | undefined;
  /** Server CPU per row, µs. */
  usPerRow: number | undefined;
}

const BATCH = 10_000;
const STAGE = 'floor_stage';

/** What each model leaves out of the full one. */
const WITHOUT: Record<FloorPart['model'], string[]> = {
  key: ['DROP TRIGGER trips_rollup ON trips', 'DROP TRIGGER trips_keep_first ON trips', 'DROP INDEX trips_origin_area', 'DROP INDEX trips_destination_area'],
  indexes: ['DROP TRIGGER trips_rollup ON trips', 'DROP TRIGGER trips_keep_first ON trips'],
  model: [],
};

/**
 * Measures the three models with the trips stored in `sourceUrl`, each in a fresh database
 * `floorDb` made and dropped through `admin`.
 */
export async function modelFloor(sourceUrl: string, floorUrl: string, admin: (sql: string) => Promise<void>, floorDb: string): Promise<FloorPart[]> {
  const parts: FloorPart[] = [];
  for (const model of ['key', 'indexes', 'model'] as const) {
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
      for (const { ms } of months.rows as { ms: string }[]) await target.query(createPartitionSql(Number(ms)));
      for (const sql of WITHOUT[model]) await target.query(sql);
      await target.query(`CREATE UNLOGGED TABLE src AS SELECT ${columns}, 0::bigint AS rn FROM trips WITH NO DATA`);
      await pipeline(
        source.query(copyTo(`COPY (SELECT ${columns}, row_number() OVER (ORDER BY trip_id) FROM trips) TO STDOUT`)),
        target.query(copyFrom('COPY src FROM STDIN')),
      );
      await target.query('CREATE INDEX ON src (rn)');
      await target.query('ANALYZE src');
      await target.query(`CREATE TEMP TABLE ${STAGE} AS SELECT ${columns} FROM trips WITH NO DATA`);
      await target.query('CHECKPOINT');
      const rows = Number((await target.query('SELECT count(*) AS n FROM src')).rows[0].n);
      const pid = Number((await target.query('SELECT pg_backend_pid() AS pid')).rows[0].pid);
      const merge = mergeSql('public', spec, STAGE);
      const cpuBefore = cpuSecondsOf(pid);
      const started = performance.now();
      for (let from = 1; from <= rows; from += BATCH) {
        await target.query('BEGIN');
        await target.query(`INSERT INTO pg_temp.${STAGE} SELECT ${columns} FROM src WHERE rn >= $1 AND rn < $2`, [from, from + BATCH]);
        await target.query(merge);
        await target.query(`TRUNCATE pg_temp.${STAGE}`);
        await target.query('COMMIT');
      }
      const seconds = (performance.now() - started) / 1000;
      const cpuAfter = cpuSecondsOf(pid);
      const serverCpuS = cpuBefore === undefined || cpuAfter === undefined ? undefined : cpuAfter - cpuBefore;
      const stored = Number((await target.query('SELECT count(*) AS n FROM trips')).rows[0].n);
      if (stored !== rows) throw new Error(`model floor (${model}): ${stored} trips stored of ${rows} rows`);
      const part = { model, rows, seconds: Math.round(seconds * 10) / 10, serverCpuS: serverCpuS === undefined ? undefined : Math.round(serverCpuS * 10) / 10, usPerRow: serverCpuS === undefined ? undefined : Math.round((serverCpuS / rows) * 1e7) / 10 };
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
