import { describe, expect, it } from 'vitest';
import { IdentifierError } from '@sluice/core';
import { specChecksum } from '../src/migrations.js';
import { insertSql } from '../src/statements.js';
import { MAX_VARIABLES, chunkSizes, compileTable, dedupe, hasDuplicateKeys, planWrite } from '../src/table-writer.js';

describe('chunkSizes', () => {
  it('cuts full statements, then the remainder in powers of two', () => {
    expect(chunkSizes(0, 256)).toEqual([]);
    expect(chunkSizes(1000, 256)).toEqual([256, 256, 256, 128, 64, 32, 8]);
    expect(chunkSizes(3, 4)).toEqual([2, 1]);
    for (const total of [1, 255, 256, 257, 5000]) expect(chunkSizes(total, 256).reduce((a, b) => a + b, 0)).toBe(total);
  });

  it('keeps every statement within the variable limit', () => {
    const columns = Array.from({ length: 300 }, (_, i) => ({ name: `c${i}`, type: 'integer' as const }));
    const table = compileTable({ name: 'wide', columns, key: ['c0'] });
    expect(table.rowsPerStatement * 300).toBeLessThanOrEqual(MAX_VARIABLES);
    const rows = Array.from({ length: 500 }, () => Object.fromEntries(columns.map((c) => [c.name, 1])));
    for (const chunk of planWrite(table, rows, 'append')) expect(chunk.params.length).toBeLessThanOrEqual(MAX_VARIABLES);
  });
});

describe('hasDuplicateKeys', () => {
  it('tells string and number keys apart, composite keys included, and gives up on other kinds', () => {
    expect(hasDuplicateKeys([{ id: 1 }, { id: '1' }, { id: 2 }], ['id'])).toBe(false);
    expect(hasDuplicateKeys([{ id: 1 }, { id: 2 }, { id: 1 }], ['id'])).toBe(true);
    expect(hasDuplicateKeys([{ m: 'a', t: 1 }, { m: 'b', t: 1 }, { m: 'a', t: 2 }], ['m', 't'])).toBe(false);
    expect(hasDuplicateKeys([{ m: 'a', t: 1 }, { m: 'b', t: 1 }, { m: 'a', t: 1 }], ['m', 't'])).toBe(true);
    expect(hasDuplicateKeys([{ id: new Date(0) }], ['id'])).toBeUndefined();
    expect(hasDuplicateKeys([{ id: Number.NaN }], ['id'])).toBeUndefined();
  });
});

describe('dedupe', () => {
  it('returns a batch without equal keys as it is', () => {
    const rows = [{ id: 'a' }, { id: 'b' }];
    expect(dedupe(rows, ['id'])).toBe(rows);
  });

  it('keeps the last of equal Dates, which only key strings can see', () => {
    expect(dedupe([{ t: new Date(5), v: 1 }, { t: new Date(5), v: 2 }], ['t'])).toEqual([{ t: new Date(5), v: 2 }]);
  });

  it('keeps the last row of each key, BigInt keys included', () => {
    const rows = [
      { id: 1n, v: 'a' },
      { id: 2n, v: 'b' },
      { id: 1n, v: 'c' },
    ];
    expect(dedupe(rows, ['id'])).toEqual([
      { id: '2', v: 'b' },
      { id: '1', v: 'c' },
    ]);
  });
});

describe('insertSql', () => {
  it('upserts every non-key column in merge mode and does nothing when all columns are the key', () => {
    expect(insertSql('t', ['a', 'b', 'c'], ['a', 'b'], 'merge', 2)).toBe(
      'INSERT INTO "t" ("a", "b", "c") VALUES (?,?,?),(?,?,?) ON CONFLICT ("a", "b") DO UPDATE SET "c" = excluded."c"',
    );
    expect(insertSql('t', ['a'], ['a'], 'merge', 1)).toBe('INSERT INTO "t" ("a") VALUES (?) ON CONFLICT ("a") DO NOTHING');
    expect(insertSql('t', ['a'], ['a'], 'append', 1)).toBe('INSERT INTO "t" ("a") VALUES (?)');
  });

  it('refuses names that are not plain identifiers', () => {
    expect(() => insertSql('t"; DROP TABLE x; --', ['a'], ['a'], 'append', 1)).toThrow(IdentifierError);
  });
});

describe('specChecksum', () => {
  it('depends on columns and key, not on the write mode or defaults spelled out', () => {
    const spec = { name: 't', columns: [{ name: 'a', type: 'text' as const }], key: ['a'] };
    const same = { ...spec, mode: 'append' as const, columns: [{ name: 'a', type: 'text' as const, nullable: false }] };
    expect(specChecksum(same)).toBe(specChecksum(spec));
    expect(specChecksum({ ...spec, columns: [{ name: 'a', type: 'integer' }] })).not.toBe(specChecksum(spec));
  });
});
