/**
 * Loading into SQLite (always) and PostgreSQL (when reachable; required under CI=true): counts,
 * FK integrity, idempotent re-run, a changed file reloaded without duplicates, a file written by
 * another writer (DuckDB), CSV files.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Store } from '@sluice/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { minuteName, minuteRows, parquetBytes, sensorPlan } from '../src/generate.js';
import { loadFolder } from '../src/load.js';
import { FileLoader } from '../src/load-file.js';
import { assertIntegrity, generateFiles, JAN1, openMigrated, p, pgTarget, scalar, sqliteTarget, tempDir, type TestTarget } from './support.js';

const targets: [string, (dir: string) => Promise<TestTarget | undefined>][] = [
  ['SQLite', async (dir) => sqliteTarget(dir)],
  ['PostgreSQL', () => pgTarget()],
];

for (const [label, makeTarget] of targets) {
  describe(`load into ${label}`, () => {
    let dir: string;
    let cleanupDir: () => Promise<void>;
    let target: TestTarget | undefined;
    let store: Store;

    beforeAll(async () => {
      ({ dir, cleanup: cleanupDir } = await tempDir());
      target = await makeTarget(dir);
      if (target) store = await openMigrated(target);
    });
    afterAll(async () => {
      await store?.close();
      await target?.cleanup();
      await cleanupDir();
    });

    it('loads every row of every file with its dimensions, then skips them all on a re-run', async (ctx) => {
      if (!target) return ctx.skip();
      const data = join(dir, 'data');
      await import('node:fs/promises').then((fs) => fs.mkdir(data));
      await generateFiles(data, 4);
      expect(await loadFolder({ store, dir: data })).toEqual({ files: 4, rows: 4 * 1914, skipped: 0, rejected: 0, quarantined: 0 });
      expect(await assertIntegrity(store)).toBe(4 * 1914);
      expect(await scalar(store, 'SELECT COUNT(*) FROM sensor')).toBe(1876);
      expect(await scalar(store, 'SELECT COUNT(*) FROM department')).toBe(100);
      expect(await scalar(store, 'SELECT COUNT(*) FROM product')).toBeLessThanOrEqual(1000);
      // (sensor, create_at) is not a key: ~37 sensors log more than once a minute, and all of those rows landed.
      const repeated = await scalar(store, 'SELECT COUNT(*) FROM (SELECT sensor_id, create_at FROM datalog GROUP BY sensor_id, create_at HAVING COUNT(*) > 1) t');
      expect(repeated).toBeGreaterThan(4 * 20);
      // A row's values survive: the first row of the first file, through the joins.
      const plan = sensorPlan(1);
      const first = minuteRows(plan, 1, JAN1)[0]!;
      const [row] = await store.query<Record<string, unknown>>(
        `SELECT dep.name AS department, s.serial, p.name AS product, d.create_at, d.product_expire FROM datalog d
         JOIN sensor s ON s.id = d.sensor_id JOIN department dep ON dep.id = s.department_id JOIN product p ON p.id = d.product_id
         JOIN source_file f ON f.id = d.file_id WHERE f.name = ${p(store, 1)} AND d.file_row = 0`,
        [`${minuteName(JAN1)}.parquet`],
      );
      expect(row).toMatchObject({ department: first.department_name, serial: first.sensor_serial, product: first.product_name });
      expect(new Date(row!.create_at as string | number).getTime()).toBe(first.create_at);
      expect(new Date(row!.product_expire as string | number).getTime()).toBe(first.product_expire);
      expect(await loadFolder({ store, dir: data })).toEqual({ files: 0, rows: 0, skipped: 4, rejected: 0, quarantined: 0 });
      expect(await assertIntegrity(store)).toBe(4 * 1914);
    });

    it('reloads a changed file in place of its earlier rows, without duplicates', async (ctx) => {
      if (!target) return ctx.skip();
      const data = join(dir, 'data');
      const file = join(data, `${minuteName(JAN1 + 60_000)}.parquet`);
      // The same minute from another seed, cut to 1,000 rows: fewer rows, other products.
      const rows = minuteRows(sensorPlan(2), 2, JAN1 + 60_000).slice(0, 1000);
      await writeFile(file, parquetBytes(rows));
      expect(await loadFolder({ store, dir: data })).toEqual({ files: 1, rows: 1000, skipped: 3, rejected: 0, quarantined: 0 });
      expect(await assertIntegrity(store)).toBe(3 * 1914 + 1000);
      // Only modification time changed: reloaded (size and mtime are the change test), same rows.
      await utimes(file, new Date(), new Date(Date.now() + 5000));
      expect(await loadFolder({ store, dir: data })).toMatchObject({ files: 1, rows: 1000, skipped: 3 });
      expect(await assertIntegrity(store)).toBe(3 * 1914 + 1000);
    });

    it('enforces the foreign keys: an orphan reading and the delete of a referenced sensor are refused', async (ctx) => {
      if (!target) return ctx.skip();
      const [any] = await store.query<{ file_id: unknown; sensor_id: unknown; product_id: unknown }>('SELECT file_id, sensor_id, product_id FROM datalog LIMIT 1');
      const insert = (sensor: unknown, product: unknown) =>
        store.write({ table: 'datalog', mode: 'append', rows: [{ file_id: any!.file_id, file_row: 99_999, create_at: JAN1, sensor_id: sensor, product_id: product, product_expire: JAN1 }] });
      await expect(insert(123, any!.product_id)).rejects.toThrow(/foreign key/i);
      await expect(insert(any!.sensor_id, 456)).rejects.toThrow(/foreign key/i);
      await expect(store.query(`DELETE FROM sensor WHERE id = ${p(store, 1)}`, [any!.sensor_id])).rejects.toThrow(/foreign key/i);
      await expect(store.query(`DELETE FROM department WHERE id IN (SELECT department_id FROM sensor)`)).rejects.toThrow(/foreign key/i);
      expect(await assertIntegrity(store)).toBe(3 * 1914 + 1000);
    });

    it('writes a unit of several files in one transaction, with one checkpoint per file; adds a file nobody added', async (ctx) => {
      if (!target) return ctx.skip();
      const units = join(dir, 'units');
      await import('node:fs/promises').then((fs) => fs.mkdir(units));
      await generateFiles(units, 5, { from: JAN1 + 5 * 3600_000 });
      const before = await assertIntegrity(store);
      // Units of 1, 2 and 2 files.
      expect(await loadFolder({ store, dir: units, unitFiles: 2 })).toEqual({ files: 5, rows: 5 * 1914, skipped: 0, rejected: 0, quarantined: 0 });
      expect(await assertIntegrity(store)).toBe(before + 5 * 1914);
      // Each unit's write carried one checkpoint per file, and nothing else.
      const written = await store.readCheckpoints({ prefix: 'sensor-log' });
      expect([...written.keys()].filter((s) => !s.startsWith('sensor-log:'))).toEqual([]);
      expect([...written.keys()].filter((s) => s.startsWith('sensor-log:2023-01-01 05:'))).toHaveLength(5);
      // A file whose source_file row nobody added (its name did not come from a planned load): its rows are refused, the row added, the write done again.
      await generateFiles(units, 1, { from: JAN1 + 6 * 3600_000 });
      const outcome = await new FileLoader(store, units).load('2023-01-01 06:00:00.parquet');
      expect(outcome).toMatchObject({ status: 'loaded', rows: 1914 });
      expect(await assertIntegrity(store)).toBe(before + 6 * 1914);
    });

    it('loads CSV files and Parquet files written by DuckDB', async (ctx) => {
      if (!target) return ctx.skip();
      const other = join(dir, 'other');
      await import('node:fs/promises').then((fs) => fs.mkdir(other));
      await generateFiles(other, 2, { format: 'csv', from: JAN1 + 3600_000 });
      const duck = await DuckDBInstance.create(':memory:');
      const connection = await duck.connect();
      const csv = join(other, `${minuteName(JAN1 + 3600_000)}.csv`);
      const out = join(other, `${minuteName(JAN1 + 7200_000)}.parquet`);
      // DuckDB: timestamps as TIMESTAMP_NS (INT64 nanoseconds), strings dictionary-encoded by DuckDB's writer.
      await connection.run(
        `COPY (SELECT department_name, sensor_serial, (create_at + INTERVAL 1 HOUR)::TIMESTAMP_NS AS create_at, product_name, product_expire::TIMESTAMP_NS AS product_expire
         FROM read_csv('${csv.replaceAll("'", "''")}')) TO '${out.replaceAll("'", "''")}' (FORMAT parquet)`,
      );
      connection.closeSync();
      duck.closeSync();
      expect(await loadFolder({ store, dir: other })).toEqual({ files: 3, rows: 3 * 1914, skipped: 0, rejected: 0, quarantined: 0 });
      const hours = await store.query<{ f: string; n: unknown }>(
        `SELECT f.name AS f, COUNT(*) AS n FROM datalog d JOIN source_file f ON f.id = d.file_id WHERE f.name LIKE '%01:00:00%' OR f.name LIKE '%02:00:00%' GROUP BY f.name ORDER BY f.name`,
      );
      expect(hours.map((h) => [h.f, Number(h.n)])).toEqual([
        ['2023-01-01 01:00:00.csv', 1914],
        ['2023-01-01 02:00:00.parquet', 1914],
      ]);
      expect(await scalar(store, `SELECT COUNT(*) FROM datalog d JOIN source_file f ON f.id = d.file_id WHERE f.name = '2023-01-01 02:00:00.parquet' AND d.create_at = ${store.name === 'pg' ? "'2023-01-01T02:00:00Z'" : String(JAN1 + 7200_000)}`)).toBe(1914);
      expect(await assertIntegrity(store)).toBe(12 * 1914 + 1000);
    });
  });
}
