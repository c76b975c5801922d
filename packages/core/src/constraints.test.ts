import { describe, expect, it } from 'vitest';
import { constraintChanges, constraintName, migrationOrder } from './constraints.js';
import { ConfigError } from './errors.js';
import { assertTableSpecs, canonicalSpec, diffSpecs, specChecksum } from './migrations.js';
import type { TableSpec } from './types.js';

const dimension = (name: string): TableSpec => ({ name, columns: [{ name: 'name', type: 'text' }, { name: 'id', type: 'bigint' }], key: ['name'], unique: [['id']] });
const facts: TableSpec = {
  name: 'facts',
  columns: [{ name: 'n', type: 'integer' }, { name: 'a_id', type: 'bigint' }, { name: 'b_id', type: 'bigint', nullable: true }],
  key: ['n'],
  foreignKeys: [
    { columns: ['a_id'], references: { table: 'a', columns: ['id'] }, check: 'statement' },
    { columns: ['b_id'], references: { table: 'b', columns: ['id'] } },
  ],
};

describe('unique lists and foreign keys of specs', () => {
  it('are part of the canonical form and checksum only where a spec has them', () => {
    const plain: TableSpec = { name: 'a', columns: dimension('a').columns, key: ['name'] };
    expect(canonicalSpec(plain)).not.toHaveProperty('unique');
    expect(specChecksum({ ...plain, unique: [], foreignKeys: [] })).toBe(specChecksum(plain));
    expect(specChecksum(dimension('a'))).not.toBe(specChecksum(plain));
    // Order and repeats do not count; the check is spelled out.
    const reordered = { ...facts, foreignKeys: [...facts.foreignKeys!].reverse() };
    expect(canonicalSpec(reordered)).toEqual(canonicalSpec(facts));
    expect(canonicalSpec(facts).foreignKeys?.map((fk) => fk.check)).toEqual(['statement', 'row']);
  });

  it('orders a migration so that referenced tables come first, and refuses a cycle', () => {
    expect(migrationOrder([facts, dimension('b'), dimension('a')]).map((s) => s.name)).toEqual(['a', 'b', 'facts']);
    expect(migrationOrder([dimension('b'), facts, dimension('a')]).map((s) => s.name)).toEqual(['b', 'a', 'facts']);
    const selfReferencing: TableSpec = { ...dimension('tree'), foreignKeys: [{ columns: ['id'], references: { table: 'tree', columns: ['id'] } }] };
    expect(migrationOrder([selfReferencing]).map((s) => s.name)).toEqual(['tree']);
    const a = { ...dimension('a'), foreignKeys: [{ columns: ['id'], references: { table: 'b', columns: ['id'] } }] };
    const b = { ...dimension('b'), foreignKeys: [{ columns: ['id'], references: { table: 'a', columns: ['id'] } }] };
    expect(() => migrationOrder([a, b])).toThrow(/cycle: a → b → a/);
  });

  it('are checked against the table and against the other specs of the call', () => {
    expect(() => assertTableSpecs([dimension('a'), dimension('b'), facts])).not.toThrow();
    const broken: [TableSpec[], RegExp][] = [
      [[{ ...dimension('a'), unique: [['nope']] }], /unique\[0\] names "nope"/],
      [[{ ...dimension('a'), unique: [['name']] }], /is the key/],
      [[{ ...dimension('a'), unique: [[]] }], /non-empty array/],
      [[dimension('a'), facts], /table "b", which is not in this migrate call/],
      [[dimension('a'), { ...dimension('b'), unique: [] }, facts], /neither its key nor one of its unique lists/],
      [[dimension('a'), dimension('b'), { ...facts, foreignKeys: [{ columns: ['a_id'], references: { table: 'a', columns: ['name'] } }] }], /give them one type/],
      [[dimension('a'), dimension('b'), { ...facts, foreignKeys: [{ columns: ['a_id'], references: { table: 'a', columns: ['id'] }, check: 'never' as 'row' }] }], /use "row" or "statement"/],
    ];
    for (const [specs, message] of broken) {
      expect(() => assertTableSpecs(specs)).toThrow(ConfigError);
      expect(() => assertTableSpecs(specs)).toThrow(message);
    }
  });

  it('are added and dropped by a migration, a changed check being one of each', () => {
    const wanted: TableSpec = { ...facts, unique: [['a_id', 'b_id']], foreignKeys: [{ ...facts.foreignKeys![0]!, check: 'row' }] };
    const changes = constraintChanges(canonicalSpec(facts), wanted);
    expect(changes.addUnique).toEqual([['a_id', 'b_id']]);
    expect(changes.dropUnique).toEqual([]);
    expect(changes.addForeignKeys.map((fk) => `${fk.columns}:${fk.check}`)).toEqual(['a_id:row']);
    expect(changes.dropForeignKeys.map((fk) => `${fk.columns}:${fk.check}`)).toEqual(['a_id:statement', 'b_id:row']);
    const diff = diffSpecs(canonicalSpec(facts), wanted);
    expect(diff.changed).toBe(true);
    expect(diff.after.unique).toEqual([['a_id', 'b_id']]);
    expect(diffSpecs(canonicalSpec(facts), facts).changed).toBe(false);
  });

  it('name their indexes and triggers within 63 bytes, long names kept apart by a hash', () => {
    expect(constraintName('datalog', ['file_id'], 'fkey')).toBe('datalog_file_id_fkey');
    const long = 'x'.repeat(60);
    const one = constraintName(long, ['a'], 'fkey_insert');
    const two = constraintName(long, ['b'], 'fkey_insert');
    expect(Buffer.byteLength(one)).toBeLessThanOrEqual(63);
    expect(one).not.toBe(two);
    expect(one.endsWith('_fkey_insert')).toBe(true);
  });
});
