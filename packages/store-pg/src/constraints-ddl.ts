/**
 * Pure DDL of unique lists and foreign keys on PostgreSQL. A `row` foreign key is a declared
 * FOREIGN KEY. A `statement` one is enforced by triggers: after each INSERT or UPDATE statement on
 * the referencing table, one query over the distinct non-null values the statement wrote (its
 * transition table) finds any that the referenced table lacks; before a referenced row is deleted
 * or its referenced columns change, a row trigger refuses if a row still references it. Both raise
 * SQLSTATE 23503 (foreign_key_violation) naming the constraint. (TRUNCATE of the referenced table
 * is not checked by the triggers.)
 */
import { columnsEqualSql, constraintName, foreignKeyName, quoteIdentifier, uniqueName, type CanonicalForeignKey, type ConstraintChanges } from '@sluice/core';
import { columnList, qualify } from './ddl.js';

/** `CREATE UNIQUE INDEX` of a column list, idempotent. */
export function uniqueSql(schema: string, table: string, columns: readonly string[]): string {
  return `CREATE UNIQUE INDEX IF NOT EXISTS ${quoteIdentifier(uniqueName(table, columns))} ON ${qualify(schema, table)} (${columnList(columns)})`;
}

function dropUniqueSql(schema: string, table: string, columns: readonly string[]): string {
  return `DROP INDEX IF EXISTS ${qualify(schema, uniqueName(table, columns))}`;
}

/** Names of the functions and triggers of a statement-checked foreign key. */
function triggerNames(table: string, fk: CanonicalForeignKey) {
  const name = (suffix: string) => constraintName(table, fk.columns, suffix);
  return { check: name('fkey_check'), insert: name('fkey_insert'), update: name('fkey_update'), restrict: name('fkey_restrict') };
}

/** The values of columns of a row alias as one text, for a message: `v` or `(v1,v2)`. */
function shown(alias: string, columns: readonly string[]): string {
  const values = columns.map((c) => `${alias}.${quoteIdentifier(c)}`);
  return values.length === 1 ? `${values[0]}::text` : `row(${values.join(', ')})::text`;
}

/** The statements that make a foreign key of `table`. */
export function foreignKeySql(schema: string, table: string, fk: CanonicalForeignKey): string[] {
  const name = foreignKeyName(table, fk);
  const target = qualify(schema, fk.references.table);
  if (fk.check === 'row') {
    return [
      `ALTER TABLE ${qualify(schema, table)} ADD CONSTRAINT ${quoteIdentifier(name)} FOREIGN KEY (${columnList(fk.columns)}) ` +
        `REFERENCES ${target} (${columnList(fk.references.columns)})`,
    ];
  }
  const t = triggerNames(table, fk);
  const from = `(${fk.columns.join(', ')})`;
  const to = `(${fk.references.columns.join(', ')})`;
  const notNull = fk.columns.map((c) => `${quoteIdentifier(c)} IS NOT NULL`).join(' AND ');
  const check =
    `CREATE OR REPLACE FUNCTION ${qualify(schema, t.check)}() RETURNS trigger LANGUAGE plpgsql AS $f$ DECLARE missing text; BEGIN ` +
    `SELECT ${shown('n', fk.columns)} INTO missing FROM (SELECT DISTINCT ${columnList(fk.columns)} FROM new_rows WHERE ${notNull}) n ` +
    `WHERE NOT EXISTS (SELECT 1 FROM ${target} r WHERE ${columnsEqualSql('r', fk.references.columns, 'n', fk.columns)}) LIMIT 1; ` +
    `IF FOUND THEN RAISE EXCEPTION 'insert or update on table "${table}" violates foreign key constraint "${name}": ${from} = % is not in "${fk.references.table}"', missing ` +
    `USING ERRCODE = 'foreign_key_violation', CONSTRAINT = '${name}'; END IF; RETURN NULL; END $f$`;
  const restrict =
    `CREATE OR REPLACE FUNCTION ${qualify(schema, t.restrict)}() RETURNS trigger LANGUAGE plpgsql AS $f$ BEGIN ` +
    `IF TG_OP = 'UPDATE' AND ${fk.references.columns.map((c) => `NEW.${quoteIdentifier(c)} IS NOT DISTINCT FROM OLD.${quoteIdentifier(c)}`).join(' AND ')} THEN RETURN NEW; END IF; ` +
    `IF EXISTS (SELECT 1 FROM ${qualify(schema, table)} s WHERE ${columnsEqualSql('s', fk.columns, 'OLD', fk.references.columns)}) THEN ` +
    `RAISE EXCEPTION 'update or delete on table "${fk.references.table}" violates foreign key constraint "${name}" on table "${table}": ${to} = % is still referenced', ${shown('OLD', fk.references.columns)} ` +
    `USING ERRCODE = 'foreign_key_violation', CONSTRAINT = '${name}'; END IF; ` +
    `IF TG_OP = 'DELETE' THEN RETURN OLD; END IF; RETURN NEW; END $f$`;
  const statementTrigger = (trigger: string, event: string) =>
    `CREATE OR REPLACE TRIGGER ${quoteIdentifier(trigger)} AFTER ${event} ON ${qualify(schema, table)} REFERENCING NEW TABLE AS new_rows ` +
    `FOR EACH STATEMENT EXECUTE FUNCTION ${qualify(schema, t.check)}()`;
  return [
    check,
    statementTrigger(t.insert, 'INSERT'),
    statementTrigger(t.update, 'UPDATE'),
    restrict,
    `CREATE OR REPLACE TRIGGER ${quoteIdentifier(t.restrict)} BEFORE DELETE OR UPDATE ON ${target} FOR EACH ROW EXECUTE FUNCTION ${qualify(schema, t.restrict)}()`,
  ];
}

function dropForeignKeySql(schema: string, table: string, fk: CanonicalForeignKey): string[] {
  if (fk.check === 'row') return [`ALTER TABLE ${qualify(schema, table)} DROP CONSTRAINT IF EXISTS ${quoteIdentifier(foreignKeyName(table, fk))}`];
  const t = triggerNames(table, fk);
  return [
    `DROP TRIGGER IF EXISTS ${quoteIdentifier(t.insert)} ON ${qualify(schema, table)}`,
    `DROP TRIGGER IF EXISTS ${quoteIdentifier(t.update)} ON ${qualify(schema, table)}`,
    `DROP TRIGGER IF EXISTS ${quoteIdentifier(t.restrict)} ON ${qualify(schema, fk.references.table)}`,
    `DROP FUNCTION IF EXISTS ${qualify(schema, t.check)}()`,
    `DROP FUNCTION IF EXISTS ${qualify(schema, t.restrict)}()`,
  ];
}

/** The statements of a migration's constraint changes: drops first, then additions. */
export function constraintChangesSql(schema: string, table: string, changes: ConstraintChanges): string[] {
  return [
    ...changes.dropForeignKeys.flatMap((fk) => dropForeignKeySql(schema, table, fk)),
    ...changes.dropUnique.map((columns) => dropUniqueSql(schema, table, columns)),
    ...changes.addUnique.map((columns) => uniqueSql(schema, table, columns)),
    ...changes.addForeignKeys.flatMap((fk) => foreignKeySql(schema, table, fk)),
  ];
}
