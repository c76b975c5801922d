/** Applying one table spec inside the migration transaction, and reading back what was applied. */
import { StoreError, type TableSpec } from '@sluice/core';
import type { Connection } from './connection.js';
import { canonicalSpec, planMigration, specChecksum } from './migrations.js';
import { OWN } from './own-tables.js';
import { TABLE_EXISTS_SQL, addColumnSql, createTableSql } from './statements.js';

/** The latest spec recorded for a table by `migrate`, if any. */
export async function recordedSpec(db: Connection, name: string): Promise<TableSpec | undefined> {
  const [row] = await db.all<{ spec: string }>(
    `SELECT spec FROM ${OWN.migrations} WHERE name = ? ORDER BY id DESC LIMIT 1`,
    [name],
  );
  return row === undefined ? undefined : (JSON.parse(row.spec) as TableSpec);
}

/** Creates or alters one (validated, canonical) table inside the migration transaction. */
export async function migrateTable(db: Connection, spec: TableSpec): Promise<void> {
  const exists = (await db.all(TABLE_EXISTS_SQL, [spec.name])).length > 0;
  const recorded = await recordedSpec(db, spec.name);
  if (!exists) {
    await db.run(createTableSql(spec));
  } else if (recorded === undefined) {
    throw new StoreError(
      `cannot migrate table "${spec.name}": a table of that name exists but was not created by Sluice ` +
        `(it has no entry in ${OWN.migrations}); drop or rename it, or give the spec another name`,
      'migrate',
      spec.name,
    );
  } else {
    const plan = planMigration(recorded, spec);
    if (plan.kind === 'add') for (const column of plan.columns) await db.run(addColumnSql(spec.name, column));
  }
  if (recorded === undefined || JSON.stringify(canonicalSpec(recorded)) !== JSON.stringify(spec)) {
    await db.run(`INSERT INTO ${OWN.migrations} (name, checksum, spec, applied_at) VALUES (?, ?, ?, ?)`, [
      spec.name,
      specChecksum(spec),
      JSON.stringify(spec),
      Date.now(),
    ]);
  }
}
