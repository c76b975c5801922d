import { describe, expect, it } from 'vitest';
import type { TableSpec } from '@sluice/core';
import { RowEncodingError, copyPlan, encodeCopyRows, escapeCopyText, isoFromEpochMs } from '../src/copy-encode.js';
import { NASTY, decodeCopyText } from './copy-text.js';


const spec: TableSpec = {
  name: 'things',
  columns: [
    { name: 'id', type: 'text' },
    { name: 'n', type: 'integer', nullable: true },
    { name: 'big', type: 'bigint', nullable: true },
    { name: 'x', type: 'real', nullable: true },
    { name: 'ok', type: 'boolean', nullable: true },
    { name: 'at', type: 'timestamp', nullable: true },
    { name: 'doc', type: 'json', nullable: true },
  ],
  key: ['id'],
};
const plan = copyPlan(spec);
const encode = (rows: Record<string, unknown>[], dedupe = false) => encodeCopyRows(plan, rows, { dedupe }).chunks.join('');
const fieldsOf = (row: Record<string, unknown>) => decodeCopyText(encode([{ id: 'k', ...row }]))[0]!;

describe('escapeCopyText', () => {
  it('escapes backslash, tab, newline and carriage return, and leaves everything else alone', () => {
    expect(escapeCopyText('a\\b\tc\nd\re')).toBe('a\\\\b\\tc\\nd\\re');
    expect(escapeCopyText('\\N')).toBe('\\\\N');
    expect(escapeCopyText(`plain 'quoted' "text" é ✓`)).toBe(`plain 'quoted' "text" é ✓`);
  });

  it('refuses NUL, which PostgreSQL text cannot store', () => {
    expect(() => escapeCopyText('a\0b')).toThrow(/NUL/);
  });

  it.each(NASTY)('round trips %j through encode and decode', (text) => {
    expect(decodeCopyText(`${escapeCopyText(text)}\n`)).toEqual([[text]]);
  });
});

describe('isoFromEpochMs', () => {
  it('writes what Date#toISOString writes, across days, before the epoch and for fractions', () => {
    const samples = [0, -0, 1, -1, 1.9, -1.5, 86_399_999, 86_400_000, -86_400_000, 951_782_400_000, 8.64e15, -8.64e15];
    for (let i = 0; i < 2000; i++) samples.push(Math.round((Math.random() - 0.3) * 4e12), Math.random() * 1e13);
    for (const ms of samples) expect(isoFromEpochMs(ms)).toBe(new Date(ms).toISOString());
  });

  it('stays exact when consecutive values alternate between many days (the day cache is bounded)', () => {
    const days = Array.from({ length: 300 }, (_, d) => Date.UTC(2023, 0, 1) + d * 86_400_000);
    for (let i = 0; i < 3000; i++) {
      const ms = days[(i * 7) % days.length]! + ((i * 7919) % 86_400_000);
      expect(isoFromEpochMs(ms)).toBe(new Date(ms).toISOString());
    }
  });

  it('refuses what is not a valid time', () => {
    for (const ms of [Number.NaN, Number.POSITIVE_INFINITY, 8.64e15 + 1]) expect(isoFromEpochMs(ms)).toBeUndefined();
  });
});

describe('encodeCopyRows', () => {
  it('writes one line per row, fields in spec order, \\N for null and missing, empty string kept', () => {
    const text = encode([
      { id: 'a', n: 1, big: 2n, x: 1.5, ok: true, at: 0, doc: { a: [1, 'b'] } },
      { id: '', n: null },
    ]);
    expect(text).toBe(
      'a\t1\t2\t1.5\tt\t1970-01-01T00:00:00.000Z\t{"a":[1,"b"]}\n' + '\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\n',
    );
  });

  it('round trips nasty strings in text and JSON columns', () => {
    const rows = NASTY.map((text, i) => ({ id: `${i}${text}`, doc: { text } }));
    const decoded = decodeCopyText(encode(rows));
    expect(decoded.map((fields) => fields[0])).toEqual(rows.map((r) => r.id));
    expect(decoded.map((fields) => JSON.parse(fields[6]!))).toEqual(rows.map((r) => r.doc));
  });

  it('accepts Date, epoch milliseconds and ISO strings for timestamps', () => {
    const ms = Date.UTC(2024, 1, 29, 12, 30, 45, 678);
    expect(fieldsOf({ at: new Date(ms) })[5]).toBe('2024-02-29T12:30:45.678Z');
    expect(fieldsOf({ at: ms })[5]).toBe('2024-02-29T12:30:45.678Z');
    expect(fieldsOf({ at: '2024-02-29 12:30:45.123456+02' })[5]).toBe('2024-02-29 12:30:45.123456+02');
  });

  it('checks integer ranges exactly, for numbers, bigints and digit strings', () => {
    expect(fieldsOf({ n: 2147483647, big: 9223372036854775807n })).toContain('9223372036854775807');
    expect(fieldsOf({ n: '-2147483648', big: '-9223372036854775808' }).slice(1, 3)).toEqual([
      '-2147483648',
      '-9223372036854775808',
    ]);
    for (const n of [2147483648, 1.5, Number.NaN, '1e3', true, {}]) {
      expect(() => encode([{ id: 'k', n }])).toThrow(RowEncodingError);
    }
    // 2^63 as a number rounds from 9223372036854775807 and is out of range.
    expect(() => encode([{ id: 'k', big: 2 ** 63 }])).toThrow(/bigint/);
    expect(() => encode([{ id: 'k', big: 2n ** 63n }])).toThrow(/bigint/);
    // Digit strings at and around the bounds: the short ones go as written, the rest are parsed.
    expect(fieldsOf({ n: '999999999', big: '617700169958293503' }).slice(1, 3)).toEqual(['999999999', '617700169958293503']);
    expect(fieldsOf({ n: '2147483647', big: '9223372036854775807' }).slice(1, 3)).toEqual(['2147483647', '9223372036854775807']);
    for (const n of ['2147483648', '9999999999', '', '12a']) expect(() => encode([{ id: 'k', n }])).toThrow(RowEncodingError);
    for (const big of ['9223372036854775808', '99999999999999999999', '-9223372036854775809']) {
      expect(() => encode([{ id: 'k', big }])).toThrow(/bigint/);
    }
  });

  it('encodes reals and booleans in the forms PostgreSQL reads', () => {
    expect(fieldsOf({ x: 0.1, ok: false }).slice(3, 5)).toEqual(['0.1', 'f']);
    expect(fieldsOf({ x: Number.POSITIVE_INFINITY })[3]).toBe('Infinity');
    expect(fieldsOf({ x: ' 2.5 ' })[3]).toBe('2.5');
    expect(() => encode([{ id: 'k', x: 'abc' }])).toThrow(/real/);
    expect(() => encode([{ id: 'k', ok: 'yes' }])).toThrow(/boolean/);
  });

  it('names table, row and column of a bad value', () => {
    const error = (() => {
      try {
        encode([{ id: 'a' }, { id: 'b', at: new Date(Number.NaN) }]);
      } catch (e) {
        return e as RowEncodingError;
      }
      throw new Error('expected a RowEncodingError');
    })();
    expect(error).toBeInstanceOf(RowEncodingError);
    expect(error.row).toBe(1);
    expect(error.column).toBe('at');
    expect(error.message).toMatch(/row 1 of table "things": column "at"/);
  });

  it('refuses null keys, unknown columns, non-objects, unserialisable JSON and NUL in jsonb', () => {
    expect(() => encode([{ id: null }])).toThrow(/column "id" is missing or null/);
    expect(() => encode([{ id: 'a', colour: 'red' }])).toThrow(/"colour", which is not in the table spec/);
    expect(() => encode([{ id: 'a', colour: undefined }])).toThrow(/"colour"/);
    expect(() => encodeCopyRows(plan, [null as never])).toThrow(/row 0 .* not an object/);
    expect(() => encode([{ id: 'a', doc: 1n }])).toThrow(/json/);
    expect(() => encode([{ id: 'a', doc: { s: 'a\0b' } }])).toThrow(/U\+0000/);
    // A known column given as undefined is simply null.
    expect(fieldsOf({ n: undefined })[1]).toBeNull();
  });

  it('de-duplicates on the encoded key: last row wins, in order of last occurrence', () => {
    const rows = [
      { id: 'a', n: 1 },
      { id: 'b', n: 2 },
      { id: 'a', n: 3 },
    ];
    expect(encodeCopyRows(plan, rows, { dedupe: true }).count).toBe(2);
    expect(decodeCopyText(encode(rows, true)).map((f) => f.slice(0, 2))).toEqual([
      ['b', '2'],
      ['a', '3'],
    ]);
    const timed = copyPlan({ name: 't', columns: [{ name: 'at', type: 'timestamp' }], key: ['at'] });
    const ms = 1_700_000_000_000;
    expect(encodeCopyRows(timed, [{ at: ms }, { at: new Date(ms) }], { dedupe: true }).count).toBe(1);
    const counted = copyPlan({ name: 't', columns: [{ name: 'n', type: 'bigint' }], key: ['n'] });
    expect(encodeCopyRows(counted, [{ n: 1 }, { n: 1n }, { n: '1' }], { dedupe: true }).count).toBe(1);
  });

  it('cuts chunks on row boundaries', () => {
    const rows = Array.from({ length: 100 }, (_, i) => ({ id: `row-${i}`, n: i }));
    const { chunks, count } = encodeCopyRows(plan, rows, { chunkChars: 64 });
    expect(count).toBe(100);
    expect(chunks.length).toBeGreaterThan(10);
    for (const chunk of chunks) expect(chunk.endsWith('\n')).toBe(true);
    expect(decodeCopyText(chunks.join('')).map((f) => f[0])).toEqual(rows.map((r) => r.id));
  });
});
