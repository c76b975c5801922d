/**
 * Reading column-wise (`readParquetColumns`): the same values, rows and errors as the record source,
 * one batch per row group; and the BigInt-free millisecond conversion of 64-bit timestamps.
 */
import { collectRecords, tempFiles } from '@sluice/core/testkit';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ParquetFileError, parquetSource, readParquetColumns, type ParquetColumns, type ParquetColumnsOptions } from '../src/index.js';
import { msOfMicros, msOfNanos } from '../src/type-mapping.js';
import { closeDuckDb, duckDb, sqlString } from './writers.js';

const files = tempFiles('sluice-parquet-columns-');
afterAll(async () => {
  await closeDuckDb();
  await files.remove();
});

async function batches(options: ParquetColumnsOptions): Promise<ParquetColumns[]> {
  const out: ParquetColumns[] = [];
  for await (const batch of readParquetColumns(options)) out.push(batch);
  return out;
}

async function failure(options: ParquetColumnsOptions): Promise<unknown> {
  try {
    await batches(options);
  } catch (error) {
    return error;
  }
  throw new Error('the read did not fail');
}

const ROWS = 2500;
const NS_BASE = 1_672_531_200_123_456_789n; // 2023-01-01T00:00:00.123456789Z

describe('a file written by hyparquet-writer, three row groups', () => {
  let path: string;
  beforeAll(async () => {
    const bytes = parquetWriteBuffer({
      rowGroupSize: 1000,
      columnData: [
        { name: 'id', data: Int32Array.from({ length: ROWS }, (_, i) => i) },
        { name: 'department', data: Array.from({ length: ROWS }, (_, i) => `dept-${i % 7}`), encoding: 'RLE_DICTIONARY' },
        { name: 'at_ns', data: Array.from({ length: ROWS }, (_, i) => (i === 5 ? null : NS_BASE + BigInt(i) * 1_000_000_000n)) },
        { name: 'raw', data: Array.from({ length: ROWS }, (_, i) => (i === 1207 ? new Uint8Array([0xff, 0xfe]) : new TextEncoder().encode(`r${i}`))) },
      ],
      schema: [
        { name: 'root', num_children: 4 },
        { name: 'id', type: 'INT32', repetition_type: 'REQUIRED' },
        { name: 'department', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' },
        { name: 'at_ns', type: 'INT64', logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'NANOS' }, repetition_type: 'OPTIONAL' },
        { name: 'raw', type: 'BYTE_ARRAY', repetition_type: 'REQUIRED' },
      ],
    });
    path = await files.write(new Uint8Array(bytes), 'parquet');
  });

  it('yields one batch per row group, in the projected order, with the values the record source gives', async () => {
    const options = { path, columns: ['raw', 'at_ns', 'department', 'id'], timestamps: 'epoch-ms' } as const;
    const got = await batches(options);
    expect(got.map((b) => [b.rowGroup, b.rowStart, b.length])).toEqual([
      [0, 0, 1000],
      [1, 1000, 1000],
      [2, 2000, 500],
    ]);
    expect(got[0]!.names).toEqual(['raw', 'at_ns', 'department', 'id']);
    // A required INT32 column stays a typed array; the others are arrays.
    expect(got[0]!.values[3]).toBeInstanceOf(Int32Array);
    expect(Array.isArray(got[0]!.values[0])).toBe(true);
    const records = await collectRecords(parquetSource<Record<string, unknown>>(options).read());
    for (const batch of got) {
      for (let i = 0; i < batch.length; i++) {
        const item = records[batch.rowStart + i]!;
        const cells = Object.fromEntries(batch.names.map((name, k) => [name, batch.values[k]![i]]));
        if (item.kind === 'record') expect(cells).toEqual(item.value);
        else expect(cells.raw).toBeNull();
      }
    }
    expect(records.length).toBe(ROWS);
    const row5 = got[0]!;
    expect(row5.values[1]![5]).toBeNull();
    expect(row5.values[1]![6]).toBe(Number(NS_BASE / 1_000_000n) + 6000);
  });

  it('lists a value that cannot be mapped in rejects, with its row and column, and leaves it null', async () => {
    const got = await batches({ path, columns: ['id', 'raw'] });
    expect(got.flatMap((b) => b.rejects)).toEqual([{ row: 1207, column: 'raw', reason: expect.stringMatching(/^is not valid UTF-8 \(2 bytes\)/) }]);
    expect(got[1]!.values[1]![207]).toBeNull();
    expect(got[1]!.values[1]![208]).toBe('r1208');
    // Bytes as they are with utf8: false: nothing to reject.
    const raw = await batches({ path, columns: ['raw'], utf8: false });
    expect(raw.flatMap((b) => b.rejects)).toEqual([]);
    expect(raw[1]!.values[0]![207]).toEqual(new Uint8Array([0xff, 0xfe]));
  });

  it('fails with a ParquetFileError naming a column the file does not have, and on a file that is not Parquet', async () => {
    const missing = await failure({ path, columns: ['id', 'sensor_serial'] });
    expect(missing).toBeInstanceOf(ParquetFileError);
    expect((missing as Error).message).toContain(`${path} has no column "sensor_serial"`);
    const junk = await files.write('not parquet at all\n'.repeat(10), 'parquet');
    const notParquet = await failure({ path: junk });
    expect(notParquet).toBeInstanceOf(ParquetFileError);
    expect((notParquet as Error).message).toContain('is not a readable Parquet file');
    expect(await failure({ path: '/nonexistent/sluice/file.parquet' })).toBeInstanceOf(ParquetFileError);
  });
});

describe('a file larger than the whole-file read (read by byte ranges)', () => {
  it('gives the same columns as the record source, row group by row group', async () => {
    const rows = 120_000;
    const path = await files.write('', 'parquet');
    await (await duckDb()).run(
      `COPY (SELECT i::BIGINT AS id, md5(i::VARCHAR) || md5((i + 1)::VARCHAR) AS serial FROM range(${rows}) r(i)) TO ${sqlString(path)} (FORMAT parquet, ROW_GROUP_SIZE 50000, COMPRESSION 'uncompressed')`,
    );
    const got = await batches({ path, columns: ['serial', 'id'] });
    expect(got.reduce((n, b) => n + b.length, 0)).toBe(rows);
    expect(got.length).toBeGreaterThanOrEqual(3);
    const records = await collectRecords(parquetSource<Record<string, unknown>>({ path, columns: ['serial', 'id'] }).read());
    for (const at of [0, 49_999, 50_000, 119_999]) {
      const batch = got.find((b) => at >= b.rowStart && at < b.rowStart + b.length)!;
      expect({ serial: batch.values[0]![at - batch.rowStart], id: batch.values[1]![at - batch.rowStart] }).toEqual((records[at] as { value: unknown }).value);
    }
  });
});

describe('milliseconds of 64-bit micro- and nanosecond timestamps, without BigInt division', () => {
  const floorDiv = (a: bigint, b: bigint) => (a < 0n && a % b !== 0n ? a / b - 1n : a / b);
  const samples: bigint[] = [0n, 1n, -1n, 999_999n, 1_000_000n, -999_999n, -1_000_000n, -1_000_001n, NS_BASE, -NS_BASE, 2n ** 62n, -(2n ** 62n), 2n ** 63n - 1n, -(2n ** 63n)];
  let seed = 12345;
  const random = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
  for (let i = 0; i < 2000; i++) samples.push((BigInt(random()) << 32n) + BigInt(random()) - 2n ** 63n, BigInt(random()) * 1_000_000n + BigInt(random() % 1_000_000));

  it('floors exactly, also before 1970, for every 64-bit value whose milliseconds a Date can hold', () => {
    for (const nanos of samples) {
      const expected = floorDiv(nanos, 1_000_000n);
      if (expected > 8_640_000_000_000_000n || expected < -8_640_000_000_000_000n) continue;
      expect(msOfNanos(nanos), `${nanos} ns`).toBe(Number(expected));
    }
    for (const micros of samples) {
      const expected = floorDiv(micros, 1000n);
      if (expected > 8_640_000_000_000_000n || expected < -8_640_000_000_000_000n) continue;
      expect(msOfMicros(micros), `${micros} µs`).toBe(Number(expected));
    }
  });

  it('takes the exact BigInt path beyond 64 bits (INT96 timestamps far from 1970)', () => {
    const far = 2n ** 70n + 123_456_789n;
    expect(msOfNanos(far)).toBe(Number(far / 1_000_000n));
    expect(msOfNanos(-far)).toBe(Number(floorDiv(-far, 1_000_000n)));
  });
});
