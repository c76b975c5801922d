import { describe, expect, it } from 'vitest';
import { ConfigError, IdentifierError } from './errors.js';
import { assertTableSpecs, canonicalSpec, diffSpecs, sameSpec, specChecksum } from './migrations.js';
import type { TableSpec } from './types.js';

/** Table "metrics" keyed on (id, time), with `extra` columns after its own. */
const metrics = (...extra: TableSpec['columns']): TableSpec => ({
  name: 'metrics',
  columns: [
    { name: 'id', type: 'text' },
    { name: 'time', type: 'timestamp' },
    { name: 'val', type: 'real' },
    { name: 'tags', type: 'json', nullable: true },
    ...extra,
  ],
  key: ['id', 'time'],
});
const base = metrics();

describe('canonicalSpec and specChecksum', () => {
  it('sorts columns, spells out nullability and mode, and never makes a key column nullable', () => {
    const columns: TableSpec['columns'] = [{ name: 'b', type: 'text', nullable: true }, { name: 'a', type: 'integer' }];
    const spec: TableSpec = { name: 't', columns, key: ['a'] };
    expect(canonicalSpec(spec)).toEqual({
      name: 't',
      columns: [
        { name: 'a', type: 'integer', nullable: false },
        { name: 'b', type: 'text', nullable: true },
      ],
      key: ['a'],
      mode: 'merge',
    });
  });

  it('gives one checksum to specs that need the same table, whatever the column order or mode', () => {
    const reordered: TableSpec = { ...base, columns: [...base.columns].reverse(), mode: 'append' };
    expect(specChecksum(reordered)).toBe(specChecksum(base));
    expect(specChecksum(base)).toMatch(/^[0-9a-f]{64}$/);
    expect(specChecksum(metrics({ name: 'extra', type: 'text', nullable: true }))).not.toBe(specChecksum(base));
    expect(specChecksum({ ...base, key: ['time', 'id'] })).not.toBe(specChecksum(base));
  });

  it('keeps the checksums the PostgreSQL store recorded before the rules moved to core', () => {
    // sha256 of {"columns":[{"name":"a","type":"text","nullable":false},{"name":"b","type":"json","nullable":true}],"key":["a"]}
    const spec: TableSpec = { name: 't', columns: [{ name: 'b', type: 'json', nullable: true }, { name: 'a', type: 'text' }], key: ['a'] };
    expect(specChecksum(spec)).toBe('b9259827934d7a15ebcd631788e9f7b69c557595f8ca3cde80f883d529e4cbfb');
  });

  it('tells specs apart by shape and write mode, not by column order', () => {
    expect(sameSpec(base, { ...base, columns: [...base.columns].reverse(), mode: 'merge' })).toBe(true);
    expect(sameSpec(base, { ...base, mode: 'append' })).toBe(false);
  });
});

describe('assertTableSpecs', () => {
  it('accepts valid specs, the same spec twice included', () => {
    expect(() => assertTableSpecs([base, { ...base }, { ...base, name: 'other', mode: 'append' }])).not.toThrow();
    expect(() => assertTableSpecs([])).not.toThrow();
  });

  it('refuses every broken rule with a ConfigError naming the table and what to change', () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ ...base, columns: [{ name: 'id', type: 'uuid' }], key: ['id'] }, /table "metrics": column "id": unknown type "uuid"; use one of /],
      [{ ...base, columns: [{ name: 'id', type: 'toString' }], key: ['id'] }, /unknown type "toString"/],
      [{ ...base, mode: 'upsert' }, /unknown write mode "upsert"; use "merge" or "append"/],
      [{ ...base, name: 'sluice_checkpoints' }, /reserved/],
      [{ ...base, name: 'Sluice_Mine' }, /names starting with "sluice_" are reserved/],
      [metrics({ name: 'x', type: 'text', nullable: 'yes' as never }), /nullable must be true or false/],
      [{ ...base, columns: [{ name: 'id', type: 'text', nullable: true }], key: ['id'] }, /key column "id" cannot be nullable/],
      [{ ...base, key: ['id', 'id'] }, /names a column twice/],
      [{ ...base, key: ['nope'] }, /not a column/],
      [{ ...base, columns: 'id' }, /columns must be an array/],
      [{ ...base, key: 'id' }, /key must be an array/],
      [{ columns: base.columns, key: base.key }, /no string name/],
      [null, /table spec 0 is null/],
    ];
    for (const [spec, message] of cases) {
      expect(() => assertTableSpecs([spec])).toThrow(ConfigError);
      expect(() => assertTableSpecs([spec])).toThrow(message);
    }
    expect(() => assertTableSpecs(base)).toThrow(/give an array of table specs/);
  });

  it('refuses unsafe names and one table given twice with different specs', () => {
    expect(() => assertTableSpecs([{ ...base, name: 'x"; DROP TABLE y; --' }])).toThrow(IdentifierError);
    const grown = metrics({ name: 'x', type: 'text', nullable: true });
    expect(() => assertTableSpecs([base, grown])).toThrow(/table "metrics": it is given twice with different specs/);
    expect(() => assertTableSpecs([base, { ...base, mode: 'append' }])).toThrow(/twice/);
  });
});

describe('diffSpecs', () => {
  it('finds nothing to do for the same spec in any column order', () => {
    const diff = diffSpecs(base, { ...base, columns: [...base.columns].reverse() });
    const constraints = { addUnique: [], dropUnique: [], addForeignKeys: [], dropForeignKeys: [] };
    expect(diff).toEqual({ add: [], relax: [], problems: [], constraints, after: canonicalSpec(base), changed: false });
  });

  it('adds new nullable columns in the wanted order and relaxes NOT NULL', () => {
    const next = metrics({ name: 'unit', type: 'text', nullable: true }, { name: 'a_first', type: 'integer', nullable: true });
    next.columns = next.columns.map((c) => (c.name === 'val' ? { ...c, nullable: true } : c));
    const diff = diffSpecs(base, next);
    expect(diff.add).toEqual([
      { name: 'unit', type: 'text', nullable: true },
      { name: 'a_first', type: 'integer', nullable: true },
    ]);
    expect(diff.relax).toEqual(['val']);
    expect(diff.problems).toEqual([]);
    expect(diff.after).toEqual(canonicalSpec(next));
    expect(diff.changed).toBe(true);
  });

  it('keeps a nullable column left out of the spec in the table shape', () => {
    const fewer: TableSpec = { ...base, columns: base.columns.filter((c) => c.name !== 'tags') };
    const diff = diffSpecs(base, fewer);
    expect(diff).toMatchObject({ add: [], relax: [], problems: [], changed: false });
    expect(diff.after.columns.map((c) => c.name)).toEqual(['id', 'tags', 'time', 'val']);
    const grown = diffSpecs(base, { ...fewer, columns: [...fewer.columns, { name: 'u', type: 'text', nullable: true }] });
    expect(grown.after.columns.map((c) => c.name)).toEqual(['id', 'tags', 'time', 'u', 'val']);
  });

  it('records a change of write mode alone as a change without DDL', () => {
    const diff = diffSpecs(base, { ...base, mode: 'append' });
    expect(diff).toMatchObject({ add: [], relax: [], problems: [], changed: true });
    expect(diff.after.mode).toBe('append');
  });

  it('lists every change it cannot make', () => {
    // id kept; time retyped; unit new and NOT NULL; tags made NOT NULL; val (NOT NULL) left out; key shrunk.
    const changes: TableSpec['columns'] = [
      { name: 'time', type: 'bigint' },
      { name: 'unit', type: 'text' },
      { name: 'tags', type: 'json' },
    ];
    const diff = diffSpecs(base, { ...base, columns: [base.columns[0]!, ...changes], key: ['id'] });
    expect(diff.problems).toEqual([
      'the key changes from (id, time) to (id)',
      'column "time" changes type from timestamp to bigint',
      'new column "unit" is NOT NULL, but existing rows have no value for it: declare it nullable',
      'column "tags" changes from nullable to NOT NULL',
      'NOT NULL column "val" is missing from the spec, so every write would fail: keep it in the spec',
    ]);
    expect(diff.add).toEqual([]);
  });
});
