/**
 * In-batch de-duplication the stores rely on for merges: canonical row keys (BigInt as its decimal
 * string, Date as epoch ms) and the fast path that returns a batch without equal keys as it is.
 */
import { describe, expect, it } from 'vitest';
import { dedupeByKey, dedupeRows, hasDuplicateKeys, keepLastOfEachKey, rowKey } from './sql.js';

describe('rowKey', () => {
  it('keys BigInts as their decimal string and Dates as epoch milliseconds, without throwing', () => {
    expect(rowKey({ id: 2n ** 64n }, ['id'])).toBe(rowKey({ id: '18446744073709551616' }, ['id']));
    expect(rowKey({ t: new Date(5) }, ['t'])).toBe(rowKey({ t: 5 }, ['t']));
    expect(rowKey({ a: 'x', t: new Date(5) }, ['a', 't'])).toBe('["x",5]');
  });

  it('keeps strings and numbers apart, and absent values equal to null', () => {
    expect(rowKey({ id: '5' }, ['id'])).not.toBe(rowKey({ id: 5 }, ['id']));
    expect(rowKey({ id: 5n }, ['id'])).not.toBe(rowKey({ id: 5 }, ['id']));
    expect(rowKey({ t: new Date(5) }, ['t'])).not.toBe(rowKey({ t: '5' }, ['t']));
    expect(rowKey({ t: new Date(5) }, ['t'])).not.toBe(rowKey({ t: new Date(5).toISOString() }, ['t']));
    expect(rowKey({}, ['id'])).toBe(rowKey({ id: null }, ['id']));
    expect(rowKey({ a: 'x,y' }, ['a', 'b'])).not.toBe(rowKey({ a: 'x', b: 'y' }, ['a', 'b']));
  });

  it('never gives a value JSON cannot encode the key of one it can', () => {
    const unencodable = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, new Date(Number.NaN), { big: 1n }];
    const keys = [...unencodable, null, 'NaN', 'Infinity', '{}'];
    const texts = keys.map((id) => rowKey({ id }, ['id']));
    expect(texts[0]).toBe(texts[3]); // an invalid Date is NaN milliseconds
    expect(new Set(texts).size).toBe(keys.length - 1);
  });
});

describe('hasDuplicateKeys', () => {
  it('tells simple keys apart as rowKey does, composite keys included', () => {
    expect(hasDuplicateKeys([{ id: 1 }, { id: '1' }, { id: 2 }], ['id'])).toBe(false);
    expect(hasDuplicateKeys([{ id: 1 }, { id: 2 }, { id: 1 }], ['id'])).toBe(true);
    expect(hasDuplicateKeys([{ m: 'a', t: 1 }, { m: 'b', t: 1 }, { m: 'a', t: 2 }], ['m', 't'])).toBe(false);
    expect(hasDuplicateKeys([{ m: 'a', t: 1 }, { m: 'b', t: 1 }, { m: 'a', t: 1 }], ['m', 't'])).toBe(true);
    expect(hasDuplicateKeys([{ t: new Date(5) }, { t: 5 }], ['t'])).toBe(true);
    expect(hasDuplicateKeys([{ id: 7n }, { id: '7' }], ['id'])).toBe(true);
    expect(hasDuplicateKeys([{ id: 7n }, { id: 7 }], ['id'])).toBe(false);
  });

  it('gives up on values only rowKey can compare', () => {
    expect(hasDuplicateKeys([{ id: { a: 1 } }], ['id'])).toBeUndefined();
    expect(hasDuplicateKeys([{ id: Number.NaN }], ['id'])).toBeUndefined();
    expect(hasDuplicateKeys([{ id: new Date(Number.NaN) }], ['id'])).toBeUndefined();
  });
});

describe('dedupeRows', () => {
  it('returns a batch without equal keys as it is', () => {
    const rows = [{ id: 'a' }, { id: 'b' }, { id: 1n }, { id: new Date(1) }];
    expect(dedupeRows(rows, ['id'])).toBe(rows);
    expect(dedupeRows([], ['id'])).toEqual([]);
  });

  it('keeps the last row of each key, BigInt and Date keys included, rows unchanged', () => {
    const rows = [
      { id: 1n, t: new Date(5), v: 'a' },
      { id: 2n, t: 5, v: 'b' },
      { id: '1', t: 5, v: 'c' },
    ];
    expect(dedupeRows(rows, ['id', 't'])).toEqual([rows[1], rows[2]]);
    const json = [{ doc: { a: [1] }, v: 1 }, { doc: { a: [2] }, v: 2 }, { doc: { a: [1] }, v: 3 }];
    expect(dedupeRows(json, ['doc'])).toEqual([json[1], json[2]]);
  });

  it('dedupeByKey always gives a new array', () => {
    const rows = [{ id: 1 }];
    expect(dedupeByKey(rows, ['id'])).not.toBe(rows);
    expect(dedupeByKey(rows, ['id'])).toEqual(rows);
  });
});

describe('keepLastOfEachKey', () => {
  it('keeps the last item of each key in the order of those last items', () => {
    const items = ['a1', 'b1', 'a2', 'c1', 'b2'];
    expect(keepLastOfEachKey(items, (item) => item[0]!)).toEqual(['a2', 'c1', 'b2']);
    expect(keepLastOfEachKey(items, (_, index) => String(index))).toBe(items);
  });
});
