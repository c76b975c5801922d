/**
 * Versioned migrations of table specs. `planTableMigration` is pure: from the last recorded
 * version of a table and whether the table exists, it decides what to run or explains why the
 * change cannot be made. `migrateTables` runs the plans in one transaction under an advisory lock,
 * so several processes may migrate the same schema at once.
 *
 * The rules are core's `diffSpecs`: a new table is created with its key as PRIMARY KEY (version 1);
 * the same spec again is a no-op; new nullable columns are added and NOT NULL relaxed as the next
 * version (a change of write mode alone is recorded as a version without statements); unique lists
 * and foreign keys are added and dropped as the spec says (see constraints-ddl.ts); columns are
 * never dropped (a nullable column may be left out of a spec); anything else fails with a message
 * listing every difference.
 */
import { canonicalSpec, constraintChanges, diffSpecs, migrationOrder, specChecksum, type CanonicalSpec, type TableSpec } from '@sluice/core';
import type { Pool, PoolClient } from 'pg';
import { constraintChangesSql } from './constraints-ddl.js';
import { INTERNAL_TABLES, addColumnSql, createTableSql, dropNotNullSql, internalTablesSql, qualify } from './ddl.js';
import { PgStoreError, sqlStateOf } from './errors.js';

/** The latest recorded migration of a table. */
export interface AppliedMigration {
  version: number;
  checksum: string;
  /** The table's shape and write mode after that version (canonical form). */
  spec: CanonicalSpec;
}

/** What migrating one table takes. */
export interface MigrationPlan {
  table: string;
  /** Statements to run, in order; empty when the table already fits the spec. */
  statements: string[];
  /** The version to record with `statements`, and the table's shape after them. */
  record?: { version: number; checksum: string; spec: CanonicalSpec };
}

/**
 * Plans the migration of one validated spec. Throws a `PgStoreError` when the table exists
 * without a migration record, or when the spec changes it in a way Sluice does not do.
 */
export function planTableMigration(
  schema: string,
  spec: TableSpec,
  latest: AppliedMigration | undefined,
  tableExists: boolean,
): MigrationPlan {
  const table = qualify(schema, spec.name);
  const create = (version: number): MigrationPlan => ({
    table: spec.name,
    statements: [createTableSql(schema, spec), ...constraintChangesSql(schema, spec.name, constraintChanges({}, spec))],
    record: { version, checksum: specChecksum(spec), spec: canonicalSpec(spec) },
  });
  if (latest === undefined) {
    if (!tableExists) return create(1);
    throw new PgStoreError(
      `cannot migrate table ${table}: it exists but ${qualify(schema, INTERNAL_TABLES.migrations)} has no record ` +
        'of it, so Sluice cannot tell whether it fits the spec. Drop or rename the existing table, or use another table name.',
      'migrate',
      spec.name,
    );
  }
  // The table was dropped by hand since it was migrated: create it again as the next version.
  if (!tableExists) return create(latest.version + 1);
  const diff = diffSpecs(latest.spec, spec);
  if (diff.problems.length > 0) {
    throw new PgStoreError(
      `cannot migrate table ${table} from version ${latest.version} to the new spec: ${diff.problems.join('; ')}. ` +
        'Sluice only adds nullable columns, relaxes NOT NULL and adds or drops unique lists and foreign keys; migrate to a new table name, or alter the table ' +
        'yourself and keep the spec in step with it.',
      'migrate',
      spec.name,
    );
  }
  if (!diff.changed) return { table: spec.name, statements: [] };
  return {
    table: spec.name,
    statements: [
      ...diff.add.map((column) => addColumnSql(schema, spec.name, column)),
      ...diff.relax.map((column) => dropNotNullSql(schema, spec.name, column)),
      ...constraintChangesSql(schema, spec.name, diff.constraints),
    ],
    record: { version: latest.version + 1, checksum: specChecksum(diff.after), spec: diff.after },
  };
}

/** A row of `sluice_migrations` as read back. Records written before the mode was kept lack name and mode. */
interface MigrationRow {
  version: number;
  checksum: string;
  spec: Pick<TableSpec, 'columns' | 'key'> & Partial<Pick<TableSpec, 'mode' | 'unique' | 'foreignKeys'>>;
}

/** SQL of the latest migration of the table named `$1`. */
function latestMigrationSql(schema: string): string {
  return (
    `SELECT version, checksum, spec FROM ${qualify(schema, INTERNAL_TABLES.migrations)} ` +
    'WHERE name = $1 ORDER BY version DESC LIMIT 1'
  );
}

/**
 * The latest recorded migration of a table, or `undefined` when it was never migrated (also when
 * the schema has no `sluice_migrations` table yet).
 */
export async function latestMigration(db: Pool | PoolClient, schema: string, name: string): Promise<AppliedMigration | undefined> {
  let row: MigrationRow | undefined;
  try {
    row = (await db.query<MigrationRow>(latestMigrationSql(schema), [name])).rows[0];
  } catch (error) {
    if (sqlStateOf(error) === '42P01') return undefined;
    throw error;
  }
  if (row === undefined) return undefined;
  const { columns, key, mode, unique, foreignKeys } = row.spec;
  return {
    version: row.version,
    checksum: row.checksum,
    spec: canonicalSpec({ name, columns, key, mode: mode ?? 'merge', ...(unique ? { unique } : {}), ...(foreignKeys ? { foreignKeys } : {}) }),
  };
}

/** Key of the advisory lock that serialises migrations of one schema across processes. */
export function migrationLockName(schema: string): string {
  return `sluice.migrate:${schema}`;
}

/**
 * Creates the store's own tables and migrates `specs` (validated), inside the caller's transaction.
 * Takes a transaction-scoped advisory lock first, so concurrent migrations run one after the other.
 */
export async function migrateTables(client: PoolClient, schema: string, specs: readonly TableSpec[]): Promise<void> {
  await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [migrationLockName(schema)]);
  for (const statement of internalTablesSql(schema)) await client.query(statement);
  const migrations = qualify(schema, INTERNAL_TABLES.migrations);
  // Referenced tables first: a foreign key needs its target's key or unique index.
  for (const spec of migrationOrder(specs)) {
    const latest = await latestMigration(client, schema, spec.name);
    const exists = await client.query<{ exists: boolean }>('SELECT to_regclass($1) IS NOT NULL AS exists', [
      qualify(schema, spec.name),
    ]);
    const plan = planTableMigration(schema, spec, latest, exists.rows[0]?.exists === true);
    for (const statement of plan.statements) await client.query(statement);
    if (plan.record !== undefined) {
      await client.query(
        `INSERT INTO ${migrations} (name, version, checksum, spec, statements) VALUES ($1, $2, $3, $4, $5)`,
        [spec.name, plan.record.version, plan.record.checksum, JSON.stringify(plan.record.spec), plan.statements.join(';\n')],
      );
    }
  }
}
