/**
 * Versioned migrations of table specs. `planTableMigration` is pure: from the last recorded
 * version of a table and whether the table exists, it decides what to run or explains why the
 * change cannot be made. `migrateTables` runs the plans in one transaction under an advisory lock,
 * so several processes may migrate the same schema at once.
 *
 * Rules: a new table is created with its key as PRIMARY KEY (version 1); the same spec again is a
 * no-op; new nullable columns are added (and NOT NULL relaxed) as the next version; columns are
 * never dropped (a nullable column may be left out of a spec); anything else (key change, type
 * change, a new NOT NULL column) fails with a message listing every difference.
 */
import { ConfigError, assertTableSpec, type ColumnSpec, type TableSpec } from '@sluice/core';
import type { PoolClient } from 'pg';
import {
  INTERNAL_TABLES,
  addColumnSql,
  canonicalSpec,
  createTableSql,
  dropNotNullSql,
  internalTablesSql,
  pgType,
  qualify,
  specChecksum,
  type CanonicalSpec,
} from './ddl.js';
import { PgStoreError } from './errors.js';

/** The latest recorded migration of a table. */
export interface AppliedMigration {
  version: number;
  checksum: string;
  /** The table's shape after that version (canonical form). */
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

/** Differences between the recorded shape and a new spec: what to run, and what cannot be done. */
function diffSpecs(schema: string, table: string, recorded: CanonicalSpec, next: TableSpec) {
  const wanted = canonicalSpec(next);
  const problems: string[] = [];
  const statements: string[] = [];
  const shape = new Map(recorded.columns.map((c) => [c.name, { ...c }]));
  if (recorded.key.join(',') !== wanted.key.join(',')) {
    problems.push(`the key changes from (${recorded.key.join(', ')}) to (${wanted.key.join(', ')})`);
  }
  const declared = new Map<string, ColumnSpec>(next.columns.map((c) => [c.name, c]));
  for (const column of wanted.columns) {
    const old = shape.get(column.name);
    if (old === undefined) {
      if (!column.nullable) {
        problems.push(`new column "${column.name}" is NOT NULL, but existing rows have no value for it: declare it nullable`);
        continue;
      }
      statements.push(addColumnSql(schema, table, declared.get(column.name)!));
      shape.set(column.name, { ...column });
    } else if (old.type !== column.type) {
      problems.push(`column "${column.name}" changes type from ${old.type} to ${column.type}`);
    } else if (old.nullable && !column.nullable) {
      problems.push(`column "${column.name}" changes from nullable to NOT NULL`);
    } else if (!old.nullable && column.nullable) {
      statements.push(dropNotNullSql(schema, table, column.name));
      old.nullable = true;
    }
  }
  for (const old of recorded.columns) {
    if (!declared.has(old.name) && !old.nullable) {
      problems.push(
        `NOT NULL column "${old.name}" is missing from the spec, so every write would fail: keep it in the spec`,
      );
    }
  }
  const merged = canonicalSpec({ columns: [...shape.values()], key: recorded.key });
  return { problems, statements, merged };
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
  const checksum = specChecksum(spec);
  const create = (version: number): MigrationPlan => ({
    table: spec.name,
    statements: [createTableSql(schema, spec)],
    record: { version, checksum, spec: canonicalSpec(spec) },
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
  if (latest.checksum === checksum) return { table: spec.name, statements: [] };
  const { problems, statements, merged } = diffSpecs(schema, spec.name, latest.spec, spec);
  if (problems.length > 0) {
    throw new PgStoreError(
      `cannot migrate table ${table} from version ${latest.version} to the new spec: ${problems.join('; ')}. ` +
        'Sluice only adds nullable columns and relaxes NOT NULL; migrate to a new table name, or alter the table ' +
        'yourself and keep the spec in step with it.',
      'migrate',
      spec.name,
    );
  }
  if (statements.length === 0) return { table: spec.name, statements: [] };
  return {
    table: spec.name,
    statements,
    record: { version: latest.version + 1, checksum: specChecksum(merged), spec: merged },
  };
}

const INTERNAL_NAMES = new Set<string>(Object.values(INTERNAL_TABLES));

/**
 * Checks specs before any I/O: `assertTableSpec`, known column types and write mode, no store
 * table names, no table declared twice with different shapes.
 */
export function assertSpecs(specs: readonly TableSpec[]): void {
  const seen = new Map<string, string>();
  for (const spec of specs) {
    assertTableSpec(spec);
    for (const column of spec.columns) pgType(column.type, spec.name, column.name);
    if (spec.mode !== undefined && spec.mode !== 'merge' && spec.mode !== 'append') {
      throw new ConfigError(`table "${spec.name}" has mode "${String(spec.mode)}"; use "merge" or "append"`, 'mode');
    }
    if (INTERNAL_NAMES.has(spec.name)) {
      throw new ConfigError(`table name "${spec.name}" is reserved for the store's own bookkeeping; choose another`, 'name');
    }
    const checksum = specChecksum(spec);
    if (seen.has(spec.name) && seen.get(spec.name) !== checksum) {
      throw new ConfigError(`table "${spec.name}" is given twice with different columns or keys; give it once`, 'name');
    }
    seen.set(spec.name, checksum);
  }
}

/** Key of the advisory lock that serialises migrations of one schema across processes. */
export function migrationLockName(schema: string): string {
  return `sluice.migrate:${schema}`;
}

/**
 * Creates the store's own tables and migrates `specs`, inside the caller's transaction. Takes a
 * transaction-scoped advisory lock first, so concurrent migrations run one after the other.
 */
export async function migrateTables(client: PoolClient, schema: string, specs: readonly TableSpec[]): Promise<void> {
  await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [migrationLockName(schema)]);
  for (const statement of internalTablesSql(schema)) await client.query(statement);
  const migrations = qualify(schema, INTERNAL_TABLES.migrations);
  for (const spec of specs) {
    const { rows } = await client.query<{ version: number; checksum: string; spec: CanonicalSpec }>(
      `SELECT version, checksum, spec FROM ${migrations} WHERE name = $1 ORDER BY version DESC LIMIT 1`,
      [spec.name],
    );
    const exists = await client.query<{ exists: boolean }>('SELECT to_regclass($1) IS NOT NULL AS exists', [
      qualify(schema, spec.name),
    ]);
    const plan = planTableMigration(schema, spec, rows[0], exists.rows[0]?.exists === true);
    for (const statement of plan.statements) await client.query(statement);
    if (plan.record !== undefined) {
      await client.query(
        `INSERT INTO ${migrations} (name, version, checksum, spec, statements) VALUES ($1, $2, $3, $4, $5)`,
        [spec.name, plan.record.version, plan.record.checksum, JSON.stringify(plan.record.spec), plan.statements.join(';\n')],
      );
    }
  }
}
