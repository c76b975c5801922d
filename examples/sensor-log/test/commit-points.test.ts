/**
 * Core's `load` with `commitAt: isFileEnd` over a folder of these files: batches smaller than a
 * file still commit whole files, one checkpoint per file, and a resume starts at a file boundary.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { directoryCursor, directorySource, isFileEnd, load, type Row, type WriteBatch } from '@sluice/core';
import { parquetSource } from '@sluice/source-parquet';
import { createSqliteStore } from '@sluice/store-sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateFiles, tempDir } from './support.js';

describe('load with commitAt: isFileEnd', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => ({ dir, cleanup } = await tempDir()));
  afterAll(() => cleanup());

  it('commits whole files only, however small the batches', async () => {
    const data = join(dir, 'data');
    await mkdir(data);
    await generateFiles(data, 3);
    const store = createSqliteStore({ filename: join(dir, 'raw.db') });
    await store.migrate([{ name: 'reading', key: ['file', 'row'], columns: [{ name: 'file', type: 'text' }, { name: 'row', type: 'integer' }, { name: 'sensor', type: 'text' }] }]);
    const writes: { rows: number; file?: string; end: boolean }[] = [];
    const write = store.write.bind(store);
    // A real store, its writes recorded on the way.
    store.write = (batch: WriteBatch) => {
      const cursor = directoryCursor(batch.checkpoint?.position);
      writes.push({ rows: batch.rows.length, ...(cursor ? { file: cursor.file } : {}), end: isFileEnd(batch.checkpoint?.position) });
      return write(batch);
    };
    let rows = 0;
    const source = directorySource<Record<string, unknown>>({ dir: data, open: (path) => parquetSource({ path, columns: ['sensor_serial'] }) });
    const run = load<Record<string, unknown>>({
      source,
      store,
      table: 'reading',
      toRow: (value): Row => ({ file: 'all', row: rows++, sensor: value.sensor_serial }),
      batchSize: 500,
      maxBuffered: 1000, // smaller than a file: the open batch must not count, or this stalls
      commitAt: isFileEnd,
    });
    const summary = await run.done;
    expect(summary.persisted).toBe(3 * 1914);
    expect(writes).toEqual([
      { rows: 1914, file: '2023-01-01 00:00:00.parquet', end: true },
      { rows: 1914, file: '2023-01-01 00:01:00.parquet', end: true },
      { rows: 1914, file: '2023-01-01 00:02:00.parquet', end: true },
    ]);
    expect(isFileEnd(await store.readCheckpoint(source.name))).toBe(true);
    await store.close();
  });
});
