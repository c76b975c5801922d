/** Helpers of the sensor-log tests: folders of generated files, stores to load into, the CLI as a process. */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serviceUrls, type Store } from '@sluice/core';
import { randomName, requireService } from '@sluice/core/testkit';
import { createPgStore } from '@sluice/store-pg';
import { createSqliteStore } from '@sluice/store-sqlite';
import { generate } from '../src/generate.js';
import { migrateSchema } from '../src/schema.js';

export const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
export const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
export const JAN1 = Date.UTC(2023, 0, 1);

/** A fresh temporary folder; `cleanup` removes it. */
export async function tempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'sensor-log-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Generates `count` minutes from 2023-01-01 00:00 into `dir`. */
export async function generateFiles(dir: string, count: number, options: { format?: 'parquet' | 'csv'; seed?: number; from?: number } = {}) {
  const from = options.from ?? JAN1;
  return generate({ out: dir, from, to: from + (count - 1) * 60_000, format: options.format ?? 'parquet', seed: options.seed ?? 1 });
}

/** A store to test against: its URL (for the CLI), a factory, and a cleanup. */
export interface TestTarget {
  url: string;
  open: () => Store;
  cleanup: () => Promise<void>;
}

/** A new SQLite file in `dir`. */
export function sqliteTarget(dir: string): TestTarget {
  const file = join(dir, `${randomName('db')}.db`);
  return { url: `sqlite:${file}`, open: () => createSqliteStore({ filename: file }), cleanup: async () => undefined };
}

/** A new PostgreSQL database (dropped by `cleanup`), or undefined when PostgreSQL is not reachable (outside CI). */
export async function pgTarget(): Promise<TestTarget | undefined> {
  if (!(await requireService('PostgreSQL', serviceUrls.pg))) return undefined;
  const admin = createPgStore({ connectionString: serviceUrls.pg });
  const name = randomName('sensorlog');
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(serviceUrls.pg);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    open: () => createPgStore({ connectionString: url.toString() }),
    cleanup: async () => {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.close();
    },
  };
}

/** Opens and migrates a store of a target. */
export async function openMigrated(target: TestTarget): Promise<Store> {
  const store = target.open();
  await migrateSchema(store);
  return store;
}

/** `?` or `$n` placeholders. */
export const p = (store: Store, n: number): string => (store.name === 'pg' ? `$${n}` : '?');

/** A number from a count column (PostgreSQL returns bigint as text). */
export async function scalar(store: Store, sql: string, params: unknown[] = []): Promise<number> {
  const [row] = await store.query<Record<string, unknown>>(sql, params);
  return Number(Object.values(row!)[0]);
}

/** Runs the CLI to its end. */
export function runCli(args: readonly string[], options: { env?: NodeJS.ProcessEnv; onStderr?: (text: string, kill: (pid: number) => void) => void } = {}) {
  return new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; pid: number }>((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=source', CLI, ...args], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: '1', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      options.onStderr?.(stderr, (pid) => process.kill(pid, 'SIGKILL'));
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr, pid: child.pid! }));
  });
}

/** The last line of a CLI's stdout as JSON. */
export function lastJson(stdout: string): Record<string, number> {
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, number>;
}

/**
 * The integrity invariant of a loaded database: every file with a checkpoint has exactly the rows
 * its checkpoint records, no rows belong to a file without one, and every datalog row joins its
 * dimensions. Returns the total rows.
 */
export async function assertIntegrity(store: Store): Promise<number> {
  const per = await store.query<{ name: string; rows: unknown; position: unknown }>(
    `SELECT f.name, COUNT(d.file_row) AS rows, c.position FROM source_file f LEFT JOIN datalog d ON d.file_id = f.id
     LEFT JOIN sluice_checkpoints c ON c.stream = 'sensor-log:' || f.name GROUP BY f.name, c.position`,
  );
  let total = 0;
  for (const row of per) {
    const position = row.position === null ? undefined : ((typeof row.position === 'string' ? JSON.parse(row.position) : row.position) as { cursor: string });
    const expected = position ? (JSON.parse(position.cursor) as { rows: number }).rows : 0;
    if (Number(row.rows) !== expected) throw new Error(`file ${row.name} has ${row.rows} rows, its checkpoint says ${expected}`);
    total += expected;
  }
  const orphans = await scalar(
    store,
    `SELECT COUNT(*) FROM datalog d LEFT JOIN sensor s ON s.id = d.sensor_id LEFT JOIN product p ON p.id = d.product_id
     LEFT JOIN department dep ON dep.id = s.department_id LEFT JOIN source_file f ON f.id = d.file_id
     WHERE s.id IS NULL OR p.id IS NULL OR dep.id IS NULL OR f.id IS NULL`,
  );
  if (orphans !== 0) throw new Error(`${orphans} datalog rows do not join their dimensions`);
  if ((await scalar(store, 'SELECT COUNT(*) FROM datalog')) !== total) throw new Error('datalog holds rows of files without a checkpoint');
  return total;
}
