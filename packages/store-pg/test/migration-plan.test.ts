import { describe, expect, it } from 'vitest';
import { canonicalSpec, specChecksum, type TableSpec } from '@sluice/core';
import { createTableSql } from '../src/ddl.js';
import { PgStoreError } from '../src/errors.js';
import { planTableMigration, type AppliedMigration } from '../src/migrations.js';
import { mergeSql } from '../src/upsert.js';

const base: TableSpec = {
  name: 'metrics',
  columns: [
    { name: 'id', type: 'text' },
    { name: 'time', type: 'timestamp' },
    { name: 'val', type: 'real' },
    { name: 'tags', type: 'json', nullable: true },
  ],
  key: ['id', 'time'],
};

const applied = (spec: TableSpec, version = 1): AppliedMigration => ({
  version,
  checksum: specChecksum(spec),
  spec: canonicalSpec(spec),
});

const withColumns = (...columns: TableSpec['columns']): TableSpec => ({ ...base, columns: [...base.columns, ...columns] });

function planError(call: () => unknown): PgStoreError {
  try {
    call();
  } catch (error) {
    expect(error).toBeInstanceOf(PgStoreError);
    return error as PgStoreError;
  }
  throw new Error('expected the plan to fail');
}

describe('table DDL', () => {
  it('maps every column type and makes the natural key the primary key', () => {
    const spec: TableSpec = {
      name: 'all_types',
      columns: [
        { name: 'k', type: 'text', nullable: true },
        { name: 'i', type: 'integer' },
        { name: 'b', type: 'bigint', nullable: true },
        { name: 'r', type: 'real' },
        { name: 'f', type: 'boolean' },
        { name: 't', type: 'timestamp' },
        { name: 'j', type: 'json', nullable: true },
      ],
      key: ['k'],
    };
    expect(createTableSql('s', spec)).toBe(
      'CREATE TABLE "s"."all_types" ("k" text NOT NULL, "i" integer NOT NULL, "b" bigint, ' +
        '"r" double precision NOT NULL, "f" boolean NOT NULL, "t" timestamptz NOT NULL, "j" jsonb, PRIMARY KEY ("k"))',
    );
  });

  it('upserts only changed rows, and ignores conflicts when every column is in the key', () => {
    expect(mergeSql('s', base, 'stage')).toBe(
      'INSERT INTO "s"."metrics" AS t ("id", "time", "val", "tags") SELECT "id", "time", "val", "tags" ' +
        'FROM pg_temp."stage" ON CONFLICT ("id", "time") DO UPDATE SET "val" = EXCLUDED."val", "tags" = EXCLUDED."tags" ' +
        'WHERE (t."val", t."tags") IS DISTINCT FROM (EXCLUDED."val", EXCLUDED."tags")',
    );
    const keysOnly: TableSpec = { name: 'k', columns: [{ name: 'a', type: 'text' }], key: ['a'] };
    expect(mergeSql('s', keysOnly, 'stage')).toMatch(/ON CONFLICT \("a"\) DO NOTHING$/);
  });
});

describe('planTableMigration', () => {
  it('creates a new table as version 1', () => {
    const plan = planTableMigration('s', base, undefined, false);
    expect(plan.statements).toEqual([createTableSql('s', base)]);
    expect(plan.record?.version).toBe(1);
  });

  it('does nothing for the same spec, in any column order', () => {
    const reordered = { ...base, columns: [...base.columns].reverse() };
    expect(planTableMigration('s', reordered, applied(base, 3), true)).toEqual({ table: 'metrics', statements: [] });
  });

  it('adds new nullable columns and relaxes NOT NULL as the next version', () => {
    const next = withColumns({ name: 'unit', type: 'text', nullable: true });
    next.columns = next.columns.map((c) => (c.name === 'val' ? { ...c, nullable: true } : c));
    const plan = planTableMigration('s', next, applied(base, 2), true);
    expect(plan.statements).toEqual([
      'ALTER TABLE "s"."metrics" ADD COLUMN "unit" text',
      'ALTER TABLE "s"."metrics" ALTER COLUMN "val" DROP NOT NULL',
    ]);
    expect(plan.record?.version).toBe(3);
    expect(plan.record?.spec).toEqual(canonicalSpec(next));
  });

  it('keeps a nullable column left out of the spec, and records the table as it is', () => {
    const fewer: TableSpec = { ...base, columns: base.columns.filter((c) => c.name !== 'tags') };
    expect(planTableMigration('s', fewer, applied(base), true).statements).toEqual([]);
    const plan = planTableMigration('s', { ...fewer, columns: [...fewer.columns, { name: 'u', type: 'text', nullable: true }] }, applied(base), true);
    expect(plan.record?.spec.columns.map((c) => c.name)).toEqual(['id', 'tags', 'time', 'u', 'val']);
  });

  it('records a change of write mode alone as the next version, without statements', () => {
    const plan = planTableMigration('s', { ...base, mode: 'append' }, applied(base, 2), true);
    expect(plan.statements).toEqual([]);
    expect(plan.record).toEqual({ version: 3, checksum: specChecksum(base), spec: { ...canonicalSpec(base), mode: 'append' } });
  });

  it('recreates a table dropped by hand as the next version', () => {
    const plan = planTableMigration('s', base, applied(base, 4), false);
    expect(plan.statements).toEqual([createTableSql('s', base)]);
    expect(plan.record?.version).toBe(5);
  });

  it('refuses a key change, a type change, a new NOT NULL column and a missing NOT NULL column, listing all', () => {
    // id kept; time retyped; unit new and NOT NULL; tags made NOT NULL; val (NOT NULL) left out; key shrunk.
    const changes: TableSpec['columns'] = [{ name: 'time', type: 'bigint' }, { name: 'unit', type: 'text' }, { name: 'tags', type: 'json' }];
    const next: TableSpec = { ...base, columns: [base.columns[0]!, ...changes], key: ['id'] };
    const error = planError(() => planTableMigration('s', next, applied(base, 2), true));
    expect(error.operation).toBe('migrate');
    expect(error.table).toBe('metrics');
    expect(error.retriable).toBe(false);
    for (const part of [
      'from version 2',
      'the key changes from (id, time) to (id)',
      'column "time" changes type from timestamp to bigint',
      'new column "unit" is NOT NULL',
      'column "tags" changes from nullable to NOT NULL',
      'NOT NULL column "val" is missing from the spec',
    ]) {
      expect(error.message).toContain(part);
    }
  });

  it('refuses to adopt an existing table that has no migration record', () => {
    expect(planError(() => planTableMigration('s', base, undefined, true)).message).toMatch(/exists but .* has no record/);
  });
});
