import { describe, expect, it } from 'vitest';
import { IdentifierError } from '@sluice/core';
import { insertSql } from '../src/statements.js';
import { MAX_VARIABLES, chunkSizes, compileTable, planWrite } from '../src/table-writer.js';

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
