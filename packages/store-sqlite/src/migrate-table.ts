/**
 * Applying one table spec inside the migration transaction, and reading back what was applied.
 * The rules are core's (`diffSpecs`); what SQLite cannot do in place is refused here.
 */
import { StoreError, canonicalSpec, constraintChanges, diffSpecs, sameSpec, specChecksum, type CanonicalSpec, type TableSpec } from '@sluice/core';
import type { Connection } from './connection.js';
import { constraintChangesSql } from './constraints.js';
import { OWN } from './own-tables.js';
import { TABLE_EXISTS_SQL, addColumnSql, createTableSql } from './statements.js';

/** The latest spec recorded for a table by `migrate`, if any, in canonical form. */
export async function recordedSpec(db: Connection, name: string): Promise<CanonicalSpec | undefined> {
  const [row] = await db.all<{ spec: string }>(
    `SELECT spec FROM ${OWN.migrations} WHERE name = ? ORDER BY id DESC LIMIT 1`,
    [name],
  );
  return row === undefined ? undefined : canonicalSpec(JSON.parse(row.spec) as TableSpec);
}

/**
 * The table an existing, recorded table becomes under `spec`, after adding its new columns.
 * SQLite cannot drop NOT NULL from a column in place (it would take rebuilding the table, which
 * loses indexes and triggers made outside Sluice), so a column that becomes nullable is refused.
 */
async function alterTable(db: Connection, recorded: CanonicalSpec, spec: TableSpec): Promise<CanonicalSpec> {
  const diff = diffSpecs(recorded, spec);
  const problems = [
    ...diff.problems,
    ...diff.relax.map((c) => `column "${c}" becomes nullable, but SQLite cannot drop NOT NULL from an existing column`),
  ];
  if (problems.length > 0) {
    throw new StoreError(
      `cannot migrate table "${spec.name}": its spec differs from the one it was migrated with: ${problems.join('; ')}. ` +
        'SQLite only adds new nullable columns and adds or drops unique lists and foreign keys; keep the other columns as they were, or copy the data into a table of another name.',
      'migrate',
      spec.name,
    );
  }
  for (const column of diff.add) await db.run(addColumnSql(spec.name, column));
  for (const statement of constraintChangesSql(spec.name, diff.constraints)) await db.run(statement);
  return diff.after;
}

/** Creates or alters one (validated) table inside the migration transaction, and records it. */
export async function migrateTable(db: Connection, spec: TableSpec): Promise<void> {
  const exists = (await db.all(TABLE_EXISTS_SQL, [spec.name])).length > 0;
  const recorded = await recordedSpec(db, spec.name);
  let next = canonicalSpec(spec);
  if (!exists) {
    await db.run(createTableSql(spec));
    for (const statement of constraintChangesSql(spec.name, constraintChanges({}, spec))) await db.run(statement);
  } else if (recorded === undefined) {
    throw new StoreError(
      `cannot migrate table "${spec.name}": a table of that name exists but was not created by Sluice ` +
        `(it has no entry in ${OWN.migrations}); drop or rename it, or give the spec another name`,
      'migrate',
      spec.name,
    );
  } else {
    next = await alterTable(db, recorded, spec);
  }
  if (recorded === undefined || !sameSpec(recorded, next)) {
    await db.run(`INSERT INTO ${OWN.migrations} (name, checksum, spec, applied_at) VALUES (?, ?, ?, ?)`, [
      spec.name,
      specChecksum(next),
      JSON.stringify(next),
      Date.now(),
    ]);
  }
}
