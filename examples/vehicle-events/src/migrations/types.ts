/** What one numbered migration file exports. */
import type { TableSpec } from '@sluice/core';

/** The SQL dialects of the stores the warehouse runs on. */
export type Dialect = 'sqlite' | 'pg';

/**
 * One step of the warehouse schema. `tables` go through the store's `migrate` (created, or new
 * nullable columns added: the store's own rules), then `sql` runs statement by statement. Every
 * statement must be safe to run twice (`IF NOT EXISTS`, `DROP VIEW IF EXISTS` first): a crash
 * between a step and its record runs the step again on the next start.
 */
export interface Migration {
  /** 1, 2, 3, … without gaps: the number in the file name. */
  version: number;
  /** What it does, in a few words (the rest of the file name). */
  name: string;
  tables?: readonly TableSpec[];
  sql?: (dialect: Dialect) => readonly string[];
}
