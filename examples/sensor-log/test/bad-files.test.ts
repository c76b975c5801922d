/**
 * The bad-file corpus: truncated, not Parquet, empty, a missing column, wrong types, nulls, a
 * malformed CSV row. Each gives a clear dead letter naming the file (and row), the whole file is
 * quarantined when it cannot be read, its good rows land when only some rows are bad, and loading
 * goes on with the next file. A quarantined file is not retried until it changes.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Store } from '@sluice/core';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { csvText, minuteName, minuteRows, parquetBytes, sensorPlan } from '../src/generate.js';
import { loadFolder } from '../src/load.js';
import { assertIntegrity, JAN1, openMigrated, scalar, sqliteTarget, tempDir } from './support.js';

const at = (minute: number) => JAN1 + minute * 60_000;
const name = (minute: number, ext = 'parquet') => `${minuteName(at(minute))}.${ext}`;
const rowsOf = (minute: number) => minuteRows(sensorPlan(1), 1, at(minute));

describe('bad files', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let store: Store;

  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir());
    store = await openMigrated(sqliteTarget(dir));
  });
  afterAll(async () => {
    await store.close();
    await cleanup();
  });

  it('quarantines unreadable files, dead-letters bad rows, and loads everything else', async () => {
    const data = join(dir, 'data');
    await import('node:fs/promises').then((fs) => fs.mkdir(data));
    const good = parquetBytes(rowsOf(0));
    await writeFile(join(data, name(0)), good);
    await writeFile(join(data, name(1)), good.subarray(0, Math.floor(good.length / 2))); // truncated
    await writeFile(join(data, name(2)), 'this is not a parquet file\n'.repeat(40)); // not Parquet
    await writeFile(join(data, name(3)), ''); // empty
    const rows = rowsOf(4);
    await writeFile(
      join(data, name(4)), // product_name missing
      new Uint8Array(parquetWriteBuffer({
        columnData: [
          { name: 'department_name', data: rows.map((r) => r.department_name), type: 'STRING' },
          { name: 'sensor_serial', data: rows.map((r) => r.sensor_serial), type: 'STRING' },
          { name: 'create_at', data: rows.map((r) => new Date(r.create_at)), type: 'TIMESTAMP' },
          { name: 'product_expire', data: rows.map((r) => new Date(r.product_expire)), type: 'TIMESTAMP' },
        ],
      })),
    );
    const mixed = rowsOf(5);
    await writeFile(
      join(data, name(5)), // wrong types and nulls in rows 3, 7 and 11; the other rows are good
      new Uint8Array(parquetWriteBuffer({
        columnData: [
          { name: 'department_name', data: mixed.map((r, i) => (i === 3 ? null : r.department_name)), type: 'STRING' },
          { name: 'sensor_serial', data: mixed.map((r) => r.sensor_serial), type: 'STRING' },
          { name: 'create_at', data: mixed.map((r, i) => (i === 7 ? 'yesterday' : new Date(r.create_at).toISOString())), type: 'STRING' },
          { name: 'product_name', data: mixed.map((r, i) => (i === 11 ? null : r.product_name)), type: 'STRING' },
          { name: 'product_expire', data: mixed.map((r) => new Date(r.product_expire)), type: 'TIMESTAMP' },
        ],
      })),
    );
    const csv = csvText(rowsOf(6)).split('\n');
    csv[10] = `${csv[10]},one field too many`;
    await writeFile(join(data, name(6, 'csv')), csv.join('\n')); // a malformed CSV row
    await writeFile(join(data, name(7, 'csv')), csvText(rowsOf(7)).replace('product_name', 'product')); // CSV column missing
    await writeFile(join(data, name(8)), parquetBytes(rowsOf(8))); // good, after all the bad ones

    const messages: string[] = [];
    const summary = await loadFolder({ store, dir: data, onFile: (o) => messages.push(...o.reasons) });
    expect(summary).toEqual({ files: 4, rows: 1914 + (1914 - 3) + (1914 - 1) + 1914, skipped: 0, rejected: 5 + 3 + 1, quarantined: 5 });
    const text = messages.join('\n');
    expect(text).toContain(`file ${name(1)} cannot be read`);
    expect(text).toContain(`file ${name(2)} cannot be read`);
    expect(text).toContain(`file ${name(3)} cannot be read`);
    expect(text).toMatch(new RegExp(`file ${name(4)}.*product_name`));
    expect(text).toContain(`file ${name(5)}, row 3: department_name: expected a non-empty string, got null`);
    expect(text).toContain(`file ${name(5)}, row 7: create_at: expected a timestamp, got "yesterday"`);
    expect(text).toContain(`file ${name(5)}, row 11: product_name: expected a non-empty string, got null`);
    expect(text).toMatch(new RegExp(`file ${name(6, 'csv')}, row 9: .*line 11`));
    expect(text).toMatch(new RegExp(`file ${name(7, 'csv')} has no column "product_name"`));
    // Dead letters are in the store, with their file as origin.
    const letters = await store.readDeadLetters();
    expect(letters.length).toBe(9);
    expect(new Set(letters.map((l) => l.origin))).toEqual(new Set([1, 2, 3, 4, 5, 6, 7].map((m) => name(m, m >= 6 && m <= 7 ? 'csv' : 'parquet'))));
    expect(await assertIntegrity(store)).toBe(summary.rows);

    // A re-run retries nothing: the quarantined files are recorded as such until they change.
    expect(await loadFolder({ store, dir: data })).toEqual({ files: 0, rows: 0, skipped: 9, rejected: 0, quarantined: 0 });
    // Fixing a quarantined file loads it.
    await writeFile(join(data, name(1)), await readFile(join(data, name(0))).then(() => parquetBytes(rowsOf(1))));
    expect(await loadFolder({ store, dir: data })).toEqual({ files: 1, rows: 1914, skipped: 8, rejected: 0, quarantined: 0 });
    expect(await scalar(store, 'SELECT COUNT(*) FROM datalog')).toBe(summary.rows + 1914);
  });
});
