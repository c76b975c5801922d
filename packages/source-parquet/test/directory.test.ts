/** A folder of Parquet files through core's directory source: the contract, per-file ends, a corrupt file among good ones. */
import { directoryCursor, directorySource, isFileEnd } from '@sluice/core';
import { collectRecords, sourceContract, type SampleRecord } from '@sluice/core/testkit';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parquetSource } from '../src/index.js';
import { sampleByHyparquet } from './writers.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

/** A folder holding `parts` as minute files named like the sensor log's (`2023-01-01 00:00:00.parquet`). */
async function minuteFiles(parts: readonly SampleRecord[][]): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-parquet-dir-'));
  dirs.push(dir);
  for (const [k, part] of parts.entries()) {
    await writeFile(join(dir, `2023-01-01 00:${String(k).padStart(2, '0')}:00.parquet`), sampleByHyparquet(part, 400));
  }
  return dir;
}

const recordsOf = (count: number, first = 0): SampleRecord[] =>
  Array.from({ length: count }, (_, k) => ({ id: first + k, name: `name ${first + k}`, val: (first + k) / 8 }));

describe('directory of Parquet files: source contract', () =>
  sourceContract(it, {
    create: async (records, { chunkSize } = {}) => {
      const size = Math.ceil(records.length / 3) || 1;
      const dir = await minuteFiles([0, 1, 2].map((k) => records.slice(k * size, (k + 1) * size)));
      return directorySource<SampleRecord>({ dir, extensions: ['.parquet'], open: (path) => parquetSource({ path, chunkRows: chunkSize }) });
    },
  }));

describe('directory of Parquet files', () => {
  it('ends each file once, resumes in the right file, and turns a corrupt file into one reject', async () => {
    const dir = await minuteFiles([recordsOf(1000), recordsOf(10, 1000), recordsOf(5, 1010)]);
    await writeFile(join(dir, '2023-01-01 00:01:30.parquet'), 'PAR1 truncated');
    const source = directorySource<SampleRecord>({ dir, extensions: ['.parquet'], open: (path) => parquetSource({ path, columns: ['id'] }) });
    const items = await collectRecords(source.read());
    expect(items.length).toBe(1000 + 10 + 1 + 5);
    const ends = items.filter((item) => isFileEnd(item.position)).map((item) => directoryCursor(item.position));
    expect(ends).toEqual([
      { file: '2023-01-01 00:00:00.parquet', at: { index: 999 }, end: true },
      { file: '2023-01-01 00:01:00.parquet', at: { index: 9 }, end: true },
      { file: '2023-01-01 00:01:30.parquet', failed: true, end: true },
      { file: '2023-01-01 00:02:00.parquet', at: { index: 4 }, end: true },
    ]);
    const reject = items[1010]!;
    expect(reject.kind).toBe('reject');
    expect(reject.kind === 'reject' && reject.reason).toMatch(/^file 2023-01-01 00:01:30\.parquet could not be read: .*00:01:30\.parquet \(14 bytes\) is not a readable Parquet file/);
    expect(directoryCursor(reject.position)).toEqual({ file: '2023-01-01 00:01:30.parquet', end: true, failed: true });
    // Resume in the middle of the first file (row group 1 of 3): the rest of it, then the later files.
    const resumed = await collectRecords(source.read(items[499]!.position));
    expect(resumed.length).toBe(500 + 10 + 1 + 5);
    expect(resumed[0]).toMatchObject({ kind: 'record', value: { id: 500 }, position: { index: 500 } });
    expect(resumed.map((item) => item.position)).toEqual(items.slice(500).map((item) => item.position));
  });
});
