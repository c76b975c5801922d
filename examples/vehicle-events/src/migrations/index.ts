/**
 * The warehouse's migrations, in order. Each numbered file in this folder is one step; a test
 * checks that every `NNN-*.ts` file here is listed, with the number of its name.
 */
import { migration as m001 } from './001-fact-tables.js';
import { migration as m002 } from './002-current-state-views.js';
import { migration as m003 } from './003-distance-views.js';
import type { Migration } from './types.js';

export type { Dialect, Migration } from './types.js';
export { migrateWarehouse, migrationChecksum, type AppliedMigration } from './run.js';

/** Every migration of the warehouse, oldest first. */
export const MIGRATIONS: readonly Migration[] = [m001, m002, m003];
