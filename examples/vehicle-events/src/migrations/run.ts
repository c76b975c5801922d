/**
 * Applies the warehouse's numbered migrations on start and records each in `schema_migrations`
 * (version, name, checksum, applied_at). An applied migration whose file has changed since, or a
 * warehouse with a version this program does not have, stops the start with a clear error.
 */
import { createHash } from 'node:crypto';
import { isRetriable, retry, type Store, type TableSpec } from '@sluice/core';
import { WarehouseMigrationError } from '../errors.js';
import type { Dialect, Migration } from './types.js';

/** The record of applied migrations (a plain table: `sluice_` names are the store's own). */
export const SCHEMA_MIGRATIONS: TableSpec = {
  name: 'schema_migrations',
  columns: [
    { name: 'version', type: 'integer' },
    { name: 'name', type: 'text' },
    { name: 'checksum', type: 'text' },
    { name: 'applied_at', type: 'timestamp' },
  ],
  key: ['version'],
};

/** A migration as recorded. */
export interface AppliedMigration {
  version: number;
  name: string;
  checksum: string;
  /** Whether this start applied it (false: it was applied before). */
  applied: boolean;
}

/** The dialect of a store. */
export function dialectOf(store: Store): Dialect {
  return store.name === 'pg' ? 'pg' : 'sqlite';
}

/** SHA-256 of what a migration does on both engines: editing an applied one is caught. */
export function migrationChecksum(migration: Migration): string {
  const body = { tables: migration.tables ?? [], sqlite: migration.sql?.('sqlite') ?? [], pg: migration.sql?.('pg') ?? [] };
  return createHash('sha256').update(JSON.stringify(body)).digest('hex');
}

/** Checks the list: versions 1, 2, 3, … in order. */
function checkList(migrations: readonly Migration[]): void {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) {
      throw new WarehouseMigrationError(`migration "${m.name}" has version ${m.version} at place ${i + 1}: versions must run 1, 2, 3, … without gaps`, m.version);
    }
  });
}

/** SQLite builds without the math functions cannot compute the distance view; say so before anything is created. */
async function checkMath(store: Store): Promise<void> {
  if (dialectOf(store) !== 'sqlite') return;
  try {
    await store.query('SELECT sin(1) + cos(1) + asin(0.5) + sqrt(2) + radians(1) + power(2, 2) AS ok');
  } catch (error) {
    throw new WarehouseMigrationError(
      'this SQLite build has no math functions (sin, cos, asin, sqrt, radians, power), which the distance view needs: ' +
        'use an sqlite3 build compiled with SQLITE_ENABLE_MATH_FUNCTIONS (SQLite ≥ 3.35; the sqlite3 package bundles one), or PostgreSQL',
      undefined,
      { cause: error },
    );
  }
}

/**
 * Brings the warehouse up to the last of `migrations`: each one not yet recorded runs in order
 * (its tables through `store.migrate`, then its SQL), then is recorded. Returns every migration
 * with whether this call applied it.
 */
export async function migrateWarehouse(store: Store, migrations: readonly Migration[]): Promise<AppliedMigration[]> {
  checkList(migrations);
  await checkMath(store);
  await store.migrate([SCHEMA_MIGRATIONS]);
  const recorded = await store.query<{ version: number | string; name: string; checksum: string }>('SELECT version, name, checksum FROM schema_migrations ORDER BY version');
  const done = new Map(recorded.map((r) => [Number(r.version), r]));
  const newest = Math.max(0, ...done.keys());
  if (newest > migrations.length) {
    throw new WarehouseMigrationError(
      `the warehouse is at migration ${newest} ("${done.get(newest)!.name}") but this program knows only ${migrations.length}: run a newer version of it`,
      newest,
    );
  }
  const dialect = dialectOf(store);
  const result: AppliedMigration[] = [];
  for (const migration of migrations) {
    const checksum = migrationChecksum(migration);
    const previous = done.get(migration.version);
    if (previous !== undefined) {
      if (previous.checksum !== checksum) {
        throw new WarehouseMigrationError(
          `migration ${migration.version} ("${migration.name}") was changed after it was applied (checksum ${previous.checksum.slice(0, 12)} recorded, ` +
            `${checksum.slice(0, 12)} now): never edit an applied migration; undo the edit and add a new numbered migration instead`,
          migration.version,
        );
      }
      result.push({ version: migration.version, name: migration.name, checksum, applied: false });
      continue;
    }
    const once = { operation: `migration ${migration.version}`, retriable: isRetriable };
    if (migration.tables && migration.tables.length > 0) await retry(() => store.migrate(migration.tables!), once);
    for (const statement of migration.sql?.(dialect) ?? []) await retry(() => store.query(statement), once);
    await retry(() => store.write({ table: SCHEMA_MIGRATIONS.name, rows: [{ version: migration.version, name: migration.name, checksum, applied_at: Date.now() }] }), once);
    result.push({ version: migration.version, name: migration.name, checksum, applied: true });
  }
  return result;
}
