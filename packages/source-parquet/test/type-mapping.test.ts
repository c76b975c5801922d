/** How Parquet types become JavaScript values, on files from DuckDB, hyparquet-writer and a hand-built INT96 file. */
import { collectRecords, tempFiles } from '@sluice/core/testkit';
import type { SourceRecord } from '@sluice/core';
import { parquetMetadata } from 'hyparquet';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parquetSource, type ParquetSourceOptions } from '../src/index.js';
import { decimalText } from '../src/type-mapping.js';
import { closeDuckDb, duckDb, duckRows, int96Parquet, sqlString } from './writers.js';

const files = tempFiles('sluice-parquet-types-');
afterAll(async () => {
  await closeDuckDb();
  await files.remove();
});

/** The values of `items`, failing on any reject. */
function valuesOf(items: readonly SourceRecord<Record<string, unknown>>[]): Record<string, unknown>[] {
  return items.map((item) => {
    if (item.kind !== 'record') throw new Error(`unexpected reject: ${item.reason}`);
    return item.value;
  });
}

async function read(path: string, options: Omit<ParquetSourceOptions, 'path'> = {}) {
  return collectRecords(parquetSource<Record<string, unknown>>({ path, ...options }).read());
}

const NS_BASE = 1_672_531_200_123_456_789n; // 2023-01-01T00:00:00.123456789Z

describe('a file written by DuckDB', () => {
  let path: string;
  beforeAll(async () => {
    path = await files.write('', 'parquet');
    await (await duckDb()).run(`COPY (SELECT
        CASE WHEN i = 1 THEN NULL ELSE make_timestamp_ns(${NS_BASE} + i * 60000000000) END AS ts_ns,
        TIMESTAMP '1969-12-31 23:59:59.999999' AS ts_us,
        TIMESTAMP_MS '2023-01-01 00:00:00.123' AS ts_ms,
        TIMESTAMPTZ '2023-01-01 00:00:00.5+00' AS ts_tz,
        DATE '2023-01-31' AS d,
        ['alpha', 'beta', 'gamma'][i % 3 + 1] AS s,
        CASE WHEN i % 2 = 0 THEN NULL ELSE i END::INTEGER AS n,
        CASE WHEN i = 2 THEN 1152921504606846977 ELSE i END::BIGINT AS big,
        (-12.5 + i)::DECIMAL(10, 2) AS dec,
        '12345678901234567890.0123456789'::DECIMAL(38, 10) AS dec38,
        i % 2 = 0 AS ok,
        1.5::FLOAT AS f
      FROM range(2000) r(i)) TO ${sqlString(path)} (FORMAT parquet)`);
  });

  it('maps timestamps of every unit to Dates (floored to the millisecond), nulls to null, and the rest to plain values', async () => {
    const items = await read(path, { columns: ['ts_ns', 'ts_us', 'ts_ms', 'ts_tz', 'd', 's', 'n', 'dec', 'ok', 'f'] });
    const rows = valuesOf(items);
    expect(rows.length).toBe(2000);
    expect(rows[0]).toEqual({
      ts_ns: new Date('2023-01-01T00:00:00.123Z'),
      ts_us: new Date('1969-12-31T23:59:59.999Z'),
      ts_ms: new Date('2023-01-01T00:00:00.123Z'),
      ts_tz: new Date('2023-01-01T00:00:00.500Z'),
      d: new Date('2023-01-31T00:00:00.000Z'),
      s: 'alpha',
      n: null,
      dec: -12.5,
      ok: true,
      f: 1.5,
    });
    expect(rows[1]).toMatchObject({ ts_ns: null, s: 'beta', n: 1, dec: -11.5, ok: false });
    expect(rows[2]!.ts_ns).toEqual(new Date('2023-01-01T00:02:00.123Z'));
    expect(rows.map((row) => row.s)).toEqual(rows.map((_, i) => ['alpha', 'beta', 'gamma'][i % 3]));
  });

  it("keeps nanoseconds exactly with timestamps: 'epoch-ns' and gives epoch milliseconds with 'epoch-ms'", async () => {
    const exact = valuesOf(await read(path, { columns: ['ts_ns', 'ts_us', 'ts_ms'], timestamps: 'epoch-ns' }));
    expect(exact[0]).toEqual({ ts_ns: NS_BASE, ts_us: -1000n, ts_ms: 1_672_531_200_123_000_000n });
    expect(exact[3]!.ts_ns).toBe(NS_BASE + 180_000_000_000n);
    const millis = valuesOf(await read(path, { columns: ['ts_ns', 'ts_us'], timestamps: 'epoch-ms' }));
    expect(millis[0]).toEqual({ ts_ns: 1_672_531_200_123, ts_us: -1 });
  });

  it('gives 64-bit integers as numbers and rejects the row of one that a number cannot hold, naming row and column', async () => {
    const items = await read(path, { columns: ['n', 'big'] });
    expect(items.length).toBe(2000);
    const rejects = items.filter((item) => item.kind === 'reject');
    expect(rejects).toEqual([
      {
        kind: 'reject',
        reason: expect.stringMatching(/^Parquet row 2 \(row group 0\) of .*\.parquet: column "big": 1152921504606846977 does not fit a JavaScript number exactly/),
        raw: 'n=null, big=<bad value>',
        position: { index: 2 },
      },
    ]);
    expect(items[3]).toEqual({ kind: 'record', value: { n: 3, big: 3 }, position: { index: 3 } });
    const exact = valuesOf(await read(path, { columns: ['big'], int64: 'bigint' }));
    expect(exact.slice(0, 4)).toEqual([{ big: 0n }, { big: 1n }, { big: 1152921504606846977n }, { big: 3n }]);
  });

  it("gives decimals as numbers, or as exact text with decimals: 'string' (INT64 and FIXED_LEN_BYTE_ARRAY decimals)", async () => {
    const numbers = valuesOf(await read(path, { columns: ['dec', 'dec38'] }));
    expect(numbers[0]).toEqual({ dec: -12.5, dec38: 12345678901234567890.0123456789 });
    const texts = valuesOf(await read(path, { columns: ['dec', 'dec38'], decimals: 'string' }));
    expect(texts[0]).toEqual({ dec: '-12.50', dec38: '12345678901234567890.0123456789' });
    expect(texts[13]).toEqual({ dec: '0.50', dec38: '12345678901234567890.0123456789' });
  });
});

describe('a file written by hyparquet-writer', () => {
  const rows = 3000;
  let path: string;
  beforeAll(async () => {
    const millis = Array.from({ length: rows }, (_, i) => (i % 10 === 9 ? null : new Date(Date.UTC(2023, 0, 1) + i * 60_000)));
    const bytes = parquetWriteBuffer({
      rowGroupSize: 1000,
      columnData: [
        { name: 'department', data: Array.from({ length: rows }, (_, i) => `dept-${i % 7}`), encoding: 'RLE_DICTIONARY' },
        { name: 'at_ms', data: millis },
        { name: 'at_ns', data: Array.from({ length: rows }, (_, i) => (i === 5 ? null : NS_BASE + BigInt(i))) },
        { name: 'raw', data: Array.from({ length: rows }, (_, i) => (i === 7 ? new Uint8Array([0xff, 0xfe]) : new TextEncoder().encode(`r${i}`))) },
      ],
      schema: [
        { name: 'root', num_children: 4 },
        { name: 'department', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' },
        { name: 'at_ms', type: 'INT64', converted_type: 'TIMESTAMP_MILLIS', repetition_type: 'OPTIONAL' },
        { name: 'at_ns', type: 'INT64', logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'NANOS' }, repetition_type: 'OPTIONAL' },
        { name: 'raw', type: 'BYTE_ARRAY', repetition_type: 'REQUIRED' },
      ],
    });
    path = await files.write(new Uint8Array(bytes), 'parquet');
  });

  it('reads dictionary-encoded strings, millisecond and nanosecond timestamps and nulls across row groups', async () => {
    const metadata = parquetMetadata(await readFile(path));
    expect(metadata.row_groups.length).toBe(3);
    for (const group of metadata.row_groups) {
      const department = group.columns.find((c) => c.meta_data?.path_in_schema[0] === 'department')!.meta_data!;
      expect(department.encodings.some((e) => e.endsWith('_DICTIONARY'))).toBe(true);
      expect(department.dictionary_page_offset).toBeDefined();
    }
    const values = valuesOf(await read(path, { columns: ['department', 'at_ms', 'at_ns'], timestamps: 'epoch-ns' }));
    expect(values.length).toBe(rows);
    expect(values.map((v) => v.department)).toEqual(Array.from({ length: rows }, (_, i) => `dept-${i % 7}`));
    expect(values[1]).toEqual({ department: 'dept-1', at_ms: BigInt(Date.UTC(2023, 0, 1) + 60_000) * 1_000_000n, at_ns: NS_BASE + 1n });
    expect(values[5]!.at_ns).toBeNull();
    expect(values[2009]).toEqual({ department: `dept-${2009 % 7}`, at_ms: null, at_ns: NS_BASE + 2009n });
  });

  it('decodes byte arrays without a string annotation as strict UTF-8: an invalid one rejects its row; utf8: false gives bytes', async () => {
    const items = await read(path, { columns: ['raw'] });
    expect(items.length).toBe(rows);
    expect(items.filter((item) => item.kind === 'reject')).toEqual([
      {
        kind: 'reject',
        reason: expect.stringMatching(/^Parquet row 7 \(row group 0\) of .*: column "raw": is not valid UTF-8 \(2 bytes\).*utf8: false/),
        raw: 'raw=<bad value>',
        position: { index: 7 },
      },
    ]);
    expect(items[8]).toEqual({ kind: 'record', value: { raw: 'r8' }, position: { index: 8 } });
    const bytes = valuesOf(await read(path, { columns: ['raw'], utf8: false }));
    expect(bytes[7]!.raw).toEqual(new Uint8Array([0xff, 0xfe]));
  });
});

describe('INT96 timestamps (Spark, Impala, older Hive)', () => {
  const instants = [NS_BASE, null, -1n, 0n, 86_400_000_000_000n * 365n + 999_999n];
  let path: string;
  beforeAll(async () => {
    path = await files.write(int96Parquet(instants), 'parquet');
  });

  it('is a valid INT96 file: DuckDB reads back the same instants', async () => {
    expect(parquetMetadata(await readFile(path)).schema.find((e) => e.name === 't')!.type).toBe('INT96');
    const rows = await duckRows(`SELECT id, epoch_ns(t) AS ns FROM read_parquet(${sqlString(path)}) ORDER BY id`);
    // DuckDB keeps INT96 at microsecond precision.
    expect(rows.map((row) => row.ns)).toEqual(instants.map((ns) => (ns === null ? null : ns - (((ns % 1000n) + 1000n) % 1000n))));
  });

  it('maps INT96 to Dates by default and to exact nanoseconds with epoch-ns', async () => {
    const dates = valuesOf(await read(path));
    expect(dates.map((row) => row.t)).toEqual([new Date('2023-01-01T00:00:00.123Z'), null, new Date(-1), new Date(0), new Date(86_400_000 * 365)]);
    const exact = valuesOf(await read(path, { timestamps: 'epoch-ns' }));
    expect(exact.map((row) => row.t)).toEqual(instants);
  });
});

describe('decimalText', () => {
  it('writes the exact decimal of an unscaled integer and a scale', () => {
    expect(decimalText(-1250n, 2)).toBe('-12.50');
    expect(decimalText(5n, 3)).toBe('0.005');
    expect(decimalText(-5n, 1)).toBe('-0.5');
    expect(decimalText(42n, 0)).toBe('42');
    expect(decimalText(42n, -2)).toBe('4200');
  });
});

describe('compression codecs (DuckDB)', () => {
  for (const codec of ['uncompressed', 'snappy', 'gzip', 'zstd', 'brotli', 'lz4']) {
    it(`reads a ${codec} file`, async () => {
      const path = await files.write('', 'parquet');
      await (await duckDb()).run(
        `COPY (SELECT i::INTEGER AS id, 'text ' || i AS s FROM range(3000) r(i)) TO ${sqlString(path)} (FORMAT parquet, COMPRESSION ${codec})`,
      );
      const codecs = parquetMetadata(await readFile(path)).row_groups[0]!.columns.map((c) => c.meta_data!.codec);
      expect(codecs[0]).toBe(codec === 'lz4' ? 'LZ4_RAW' : codec.toUpperCase());
      const rows = valuesOf(await read(path));
      expect(rows.length).toBe(3000);
      expect(rows[2999]).toEqual({ id: 2999, s: 'text 2999' });
    });
  }
});
