/**
 * Unique lists and foreign keys on SQLite, pure DDL. A foreign key of either check kind is four
 * triggers (SQLite enforces declared foreign keys only when created with the table and with a
 * connection setting on): before a row is inserted into the referencing table, or its
 * referencing columns change, a row whose columns are all non-null must find its referenced row;
 * before a referenced row is deleted, or its referenced columns change, no row may reference it.
 * Each check is an in-process index probe, cheap enough per row for bulk loads too.
 */
import { columnsEqualSql, constraintName, foreignKeyName, quoteIdentifier, uniqueName, type CanonicalForeignKey, type ConstraintChanges } from '@sluice/core';

const list = (columns: readonly string[]) => columns.map(quoteIdentifier).join(', ');

function triggerNames(table: string, fk: CanonicalForeignKey) {
  const name = (suffix: string) => quoteIdentifier(constraintName(table, fk.columns, suffix));
  return { insert: name('fkey_insert'), update: name('fkey_update'), restrict: name('fkey_restrict'), restrictUpdate: name('fkey_restrict_update') };
}

function foreignKeySql(table: string, fk: CanonicalForeignKey): string[] {
  const name = foreignKeyName(table, fk);
  const t = triggerNames(table, fk);
  const [self, target] = [quoteIdentifier(table), quoteIdentifier(fk.references.table)];
  const present = fk.columns.map((c) => `NEW.${quoteIdentifier(c)} IS NOT NULL`).join(' AND ');
  const missing = `NOT EXISTS (SELECT 1 FROM ${target} r WHERE ${columnsEqualSql('r', fk.references.columns, 'NEW', fk.columns)})`;
  const missingError = `SELECT RAISE(ABORT, 'FOREIGN KEY constraint "${name}" failed: ${table} (${fk.columns.join(', ')}) is not in ${fk.references.table}')`;
  const referenced = `EXISTS (SELECT 1 FROM ${self} s WHERE ${columnsEqualSql('s', fk.columns, 'OLD', fk.references.columns)})`;
  const referencedError = `SELECT RAISE(ABORT, 'FOREIGN KEY constraint "${name}" failed: ${fk.references.table} (${fk.references.columns.join(', ')}) is still referenced from ${table}')`;
  const changed = fk.references.columns.map((c) => `NEW.${quoteIdentifier(c)} IS NOT OLD.${quoteIdentifier(c)}`).join(' OR ');
  return [
    `CREATE TRIGGER IF NOT EXISTS ${t.insert} BEFORE INSERT ON ${self} WHEN ${present} AND ${missing} BEGIN ${missingError}; END`,
    `CREATE TRIGGER IF NOT EXISTS ${t.update} BEFORE UPDATE OF ${list(fk.columns)} ON ${self} WHEN ${present} AND ${missing} BEGIN ${missingError}; END`,
    `CREATE TRIGGER IF NOT EXISTS ${t.restrict} BEFORE DELETE ON ${target} WHEN ${referenced} BEGIN ${referencedError}; END`,
    `CREATE TRIGGER IF NOT EXISTS ${t.restrictUpdate} BEFORE UPDATE OF ${list(fk.references.columns)} ON ${target} WHEN (${changed}) AND ${referenced} BEGIN ${referencedError}; END`,
  ];
}

/** The statements of a migration's constraint changes: drops first, then additions. */
export function constraintChangesSql(table: string, changes: ConstraintChanges): string[] {
  return [
    ...changes.dropForeignKeys.flatMap((fk) => Object.values(triggerNames(table, fk)).map((name) => `DROP TRIGGER IF EXISTS ${name}`)),
    ...changes.dropUnique.map((columns) => `DROP INDEX IF EXISTS ${quoteIdentifier(uniqueName(table, columns))}`),
    ...changes.addUnique.map((columns) => `CREATE UNIQUE INDEX IF NOT EXISTS ${quoteIdentifier(uniqueName(table, columns))} ON ${quoteIdentifier(table)} (${list(columns)})`),
    ...changes.addForeignKeys.flatMap((fk) => foreignKeySql(table, fk)),
  ];
}
