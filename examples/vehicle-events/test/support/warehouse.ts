/**
 * Test warehouses: SQLite in a temporary file, or PostgreSQL in a schema of a random name that is
 * dropped afterwards; loading a lake into one; and checksums of every table and view.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serviceUrls, type PipelineSummary, type Store } from '@sluice/core';
import { randomName, requireService } from '@sluice/core/testkit';
import { createPgStore } from '@sluice/store-pg';
import { createSqliteStore } from '@sluice/store-sqlite';
import { runEtl, type EtlOptions, type EtlRun } from '../../src/etl.js';
import { MIGRATIONS, migrateWarehouse, type Migration } from '../../src/migrations/index.js';
import { FACT_TABLES, VIEWS } from '../../src/transform.js';

export type Engine = 'sqlite' | 'pg';

/** Whether PostgreSQL answers (skips with one line, or fails under CI=true). Asked once per file. */
export const pgReachable = (): Promise<boolean> => requireService('PostgreSQL', serviceUrls.pg);

/** A fresh temporary folder and its removal. */
export async function tempDir(label: string): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), `sluice-ve-${label}-`));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** A test warehouse: the store, where it lives, and how to open it again and drop it. */
export interface TestWarehouse {
  engine: Engine;
  store: Store;
  /** The `--store` URL (and `--schema`) a CLI run needs to reach it. */
  cliArgs: string[];
  /** Opens another store on the same warehouse. */
  reopen(): Store;
  /** Closes the store and drops the warehouse. */
  drop(): Promise<void>;
}

/** Opens an empty warehouse (not migrated) on `engine`. */
export async function openWarehouse(engine: Engine, label: string): Promise<TestWarehouse> {
  if (engine === 'sqlite') {
    const { dir, remove } = await tempDir(label);
    const filename = join(dir, 'warehouse.db');
    const reopen = () => createSqliteStore({ filename });
    const store = reopen();
    return { engine, store, cliArgs: ['--store', `sqlite:${filename}`], reopen, drop: async () => (await store.close(), await remove()) };
  }
  const schema = randomName(`ve_${label}`);
  const reopen = () => createPgStore({ connectionString: serviceUrls.pg, schema });
  const store = reopen();
  return {
    engine,
    store,
    cliArgs: ['--store', serviceUrls.pg, '--schema', schema],
    reopen,
    drop: async () => {
      await store.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await store.close();
    },
  };
}

/** Migrates (with `migrations`, default all) and loads the lake; returns the run's summary and tally. */
export async function load(store: Store, lake: string, options: Partial<EtlOptions> = {}, migrations: readonly Migration[] = MIGRATIONS): Promise<{ summary: PipelineSummary; run: EtlRun }> {
  await migrateWarehouse(store, migrations);
  const run = runEtl({ store, lake, ...options });
  return { summary: await run.done, run };
}

/** A value as canonical text: times as epoch ms, numbers of views to 9 significant digits (sums may add in another order). */
function canonical(value: unknown, rounded: boolean): string {
  if (value === null || value === undefined) return 'null';
  if (value instanceof Date) return String(value.getTime());
  if (typeof value === 'number') return rounded && !Number.isInteger(value) ? value.toPrecision(9) : String(value);
  if (typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value)) return canonical(Number(value), rounded);
  return JSON.stringify(value);
}

/** Row count and SHA-256 of the rows of a table or view, read in chunks and hashed in a fixed order. */
export async function checksumOf(store: Store, relation: string, columns: readonly string[], rounded = false): Promise<string> {
  const order = columns.map((c) => `"${c}"`).join(', ');
  const lines: string[] = [];
  for await (const chunk of store.stream<Record<string, unknown>>(`SELECT ${order} FROM "${relation}"`, [], { chunkSize: 5000 })) {
    for (const row of chunk) lines.push(columns.map((c) => canonical(row[c], rounded)).join('\t'));
  }
  lines.sort();
  const hash = createHash('sha256');
  for (const line of lines) hash.update(line).update('\n');
  return `${lines.length}:${hash.digest('hex').slice(0, 16)}`;
}

/** The columns of every table and view the tests compare. */
export const RELATIONS: Record<string, readonly string[]> = {
  [FACT_TABLES.organisations]: ['id'],
  [FACT_TABLES.vehicles]: ['id', 'organization_id'],
  [FACT_TABLES.vehicleEvents]: ['vehicle_id', 'event', 'at'],
  [FACT_TABLES.positions]: ['vehicle_id', 'at', 'lat', 'lng'],
  [FACT_TABLES.periodEvents]: ['period_id', 'event_key', 'event', 'at', 'organization_id', 'start', 'finish'],
  operating_periods: ['id', 'organization_id', 'start', 'finish', 'bounds_at'],
  vehicle_service_intervals: ['vehicle_id', 'registered_at', 'deregistered_at'],
  period_vehicle_distances: ['period_id', 'vehicle_id', 'positions', 'distance_km'],
  period_averages: ['id', 'organization_id', 'start', 'finish', 'vehicles', 'average_distance_km'],
};

/** Checksums of every fact table and view. */
export async function checksums(store: Store): Promise<Record<string, string>> {
  const views = new Set<string>(VIEWS);
  const entries = [];
  for (const [name, columns] of Object.entries(RELATIONS)) entries.push([name, await checksumOf(store, name, columns, views.has(name))] as const);
  return Object.fromEntries(entries);
}
