/**
 * The normalised schema (the migrations), its keys, and the ER diagram generated from them.
 *
 * Dimension ids are not drawn from a sequence: an id is a 53-bit hash of the dimension's name
 * (`dimensionId`), so every process computes the same id for the same name without asking the
 * database, concurrent upserts of one name write the same row, and a (vanishingly unlikely) hash
 * collision is refused by the UNIQUE index on `id` instead of passing silently.
 */
import { createHash } from 'node:crypto';
import type { Store, TableSpec } from '@sluice/core';

/** A foreign key of a table: `column` references `table(id)`. */
export interface ForeignKey {
  column: string;
  table: string;
}

/** A table of the schema: the Store spec plus what the Store contract cannot express yet. */
export interface SchemaTable {
  spec: TableSpec;
  /** Columns with a UNIQUE index (besides the key). */
  unique: readonly string[];
  foreignKeys: readonly ForeignKey[];
  /** What the table holds, for the ER diagram. */
  comment: string;
}

/** The migrations of the sensor log, in dependency order. */
export const SCHEMA: readonly SchemaTable[] = [
  {
    spec: { name: 'department', key: ['name'], columns: [{ name: 'name', type: 'text' }, { name: 'id', type: 'bigint' }] },
    unique: ['id'],
    foreignKeys: [],
    comment: 'a department of the factory',
  },
  {
    spec: {
      name: 'sensor',
      key: ['serial'],
      columns: [
        { name: 'serial', type: 'text' },
        { name: 'id', type: 'bigint' },
        { name: 'department_id', type: 'bigint' },
      ],
    },
    unique: ['id'],
    foreignKeys: [{ column: 'department_id', table: 'department' }],
    comment: 'a sensor, in one department',
  },
  {
    spec: { name: 'product', key: ['name'], columns: [{ name: 'name', type: 'text' }, { name: 'id', type: 'bigint' }] },
    unique: ['id'],
    foreignKeys: [],
    comment: 'a product',
  },
  {
    spec: { name: 'source_file', key: ['name'], columns: [{ name: 'name', type: 'text' }, { name: 'id', type: 'bigint' }] },
    unique: ['id'],
    foreignKeys: [],
    comment: 'a loaded file (its load state is the checkpoint of stream sensor-log:NAME)',
  },
  {
    spec: {
      name: 'datalog',
      key: ['file_id', 'file_row'],
      mode: 'append',
      columns: [
        { name: 'file_id', type: 'bigint' },
        { name: 'file_row', type: 'integer' },
        { name: 'create_at', type: 'timestamp' },
        { name: 'sensor_id', type: 'bigint' },
        { name: 'product_id', type: 'bigint' },
        { name: 'product_expire', type: 'timestamp' },
      ],
    },
    unique: [],
    foreignKeys: [
      { column: 'file_id', table: 'source_file' },
      { column: 'sensor_id', table: 'sensor' },
      { column: 'product_id', table: 'product' },
    ],
    comment: 'one reading: a row of a file (its identity is file + row number)',
  },
];

/** The Store specs to migrate. */
export const TABLE_SPECS: readonly TableSpec[] = SCHEMA.map((t) => t.spec);

/** The id of a dimension name: 53 bits of SHA-256 of `table:name`, the same in every process. */
export function dimensionId(table: string, name: string): number {
  const digest = createHash('sha256').update(`${table}:${name}`).digest();
  return digest.readUIntBE(0, 6) * 32 + (digest[6]! >>> 3);
}

const MERMAID_TYPES: Record<string, string> = { text: 'text', bigint: 'bigint', integer: 'integer', timestamp: 'timestamp', real: 'real', boolean: 'boolean', json: 'json' };

/** The ER diagram of {@link SCHEMA} as a Mermaid `erDiagram` block (the README holds a copy; a test compares them). */
export function erDiagram(schema: readonly SchemaTable[] = SCHEMA): string {
  const lines = ['erDiagram'];
  for (const table of schema) {
    for (const fk of table.foreignKeys) lines.push(`    ${fk.table} ||--o{ ${table.spec.name} : "${fk.column}"`);
  }
  for (const table of schema) {
    lines.push(`    ${table.spec.name} {`);
    for (const column of table.spec.columns) {
      const marks = [
        ...(table.spec.key.includes(column.name) ? ['PK'] : []),
        ...(table.foreignKeys.some((fk) => fk.column === column.name) ? ['FK'] : []),
        ...(table.unique.includes(column.name) ? ['UK'] : []),
      ];
      lines.push(`        ${MERMAID_TYPES[column.type]} ${column.name}${marks.length > 0 ? ` ${marks.join(', ')}` : ''}`);
    }
    lines.push('    }');
  }
  return lines.join('\n');
}

/**
 * STOPGAP until the Store contract has `TableSpec.unique` and `TableSpec.foreignKeys` (see the
 * README, "Contract changes"): the UNIQUE indexes and the foreign keys, applied with `store.query`
 * after `migrate`. Idempotent and safe from several processes at once.
 *
 * Foreign keys are enforced by the database, but not row by row on the bulk path:
 * - PostgreSQL: an AFTER … FOR EACH STATEMENT trigger with a transition table checks the rows a
 *   COPY or INSERT (or UPDATE) added to `datalog` once per statement (one per unit of files),
 *   looking up each distinct key value once, instead of one lookup query per row and key as a
 *   declared FOREIGN KEY does; a BEFORE DELETE / UPDATE trigger on each referenced table refuses to
 *   remove an id still referenced. Applied once per {@link CONSTRAINTS_VERSION}.
 * - SQLite: BEFORE INSERT / UPDATE triggers on the referencing tables (SQLite checks them in
 *   process, an index probe per row), and BEFORE DELETE / UPDATE triggers on the referenced ones.
 */
export async function applyConstraints(store: Store): Promise<void> {
  if (store.name === 'pg') {
    await store.query(pgConstraintsSql());
    return;
  }
  for (const statement of sqliteConstraintStatements()) await store.query(statement);
}

/** Bumped when the constraint DDL changes: a database that has this version is left alone (no locks taken). */
const CONSTRAINTS_VERSION = 3;

function pgConstraintsSql(): string {
  const body: string[] = [];
  for (const table of SCHEMA) {
    const name = table.spec.name;
    for (const column of table.unique) body.push(`CREATE UNIQUE INDEX IF NOT EXISTS ${name}_${column}_key ON ${name} (${column});`);
  }
  for (const table of SCHEMA) {
    const name = table.spec.name;
    if (table.foreignKeys.length === 0) continue;
    // Statement-level: one set-wise check per COPY/INSERT/UPDATE over the rows it added, probing
    // each distinct key once (a unit of 32 files: ~61,000 rows, ~2,900 distinct keys).
    const checks = table.foreignKeys
      .map(
        (fk) =>
          `SELECT n.v INTO missing FROM (SELECT DISTINCT ${fk.column} AS v FROM new_rows) n WHERE NOT EXISTS (SELECT 1 FROM ${fk.table} r WHERE r.id = n.v) LIMIT 1; ` +
          `IF FOUND THEN RAISE EXCEPTION 'insert or update on table "${name}" violates foreign key %: ${fk.column} = % is not in ${fk.table}', '${name}_${fk.column}_fkey', missing USING ERRCODE = 'foreign_key_violation'; END IF;`,
      )
      .join(' ');
    body.push(
      `CREATE OR REPLACE FUNCTION ${name}_fk_check() RETURNS trigger LANGUAGE plpgsql AS $f$ DECLARE missing bigint; BEGIN ${checks} RETURN NULL; END $f$;`,
      `CREATE OR REPLACE TRIGGER ${name}_fk_insert AFTER INSERT ON ${name} REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ${name}_fk_check();`,
      `CREATE OR REPLACE TRIGGER ${name}_fk_update AFTER UPDATE ON ${name} REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ${name}_fk_check();`,
    );
  }
  for (const [referenced, refs] of referencedBy()) {
    const checks = refs
      .map(
        ({ table, column }) =>
          `IF EXISTS (SELECT 1 FROM ${table} WHERE ${column} = OLD.id) THEN RAISE EXCEPTION 'delete or update on table "${referenced}" violates foreign key %: id = % is still referenced from ${table}', '${table}_${column}_fkey', OLD.id USING ERRCODE = 'foreign_key_violation'; END IF;`,
      )
      .join(' ');
    body.push(
      `CREATE OR REPLACE FUNCTION ${referenced}_fk_restrict() RETURNS trigger LANGUAGE plpgsql AS $f$ BEGIN IF TG_OP = 'UPDATE' AND NEW.id = OLD.id THEN RETURN NEW; END IF; ${checks} IF TG_OP = 'DELETE' THEN RETURN OLD; END IF; RETURN NEW; END $f$;`,
      `CREATE OR REPLACE TRIGGER ${referenced}_fk_restrict BEFORE DELETE OR UPDATE ON ${referenced} FOR EACH ROW EXECUTE FUNCTION ${referenced}_fk_restrict();`,
    );
  }
  // Until version 3 a trigger fanned a unit's one checkpoint out into one per file; a write now
  // carries the files' checkpoints itself.
  body.push(
    'DROP TRIGGER IF EXISTS sensor_log_unit_checkpoint ON sluice_checkpoints;',
    'DROP FUNCTION IF EXISTS sensor_log_unit_checkpoint();',
    `CREATE OR REPLACE FUNCTION sensor_log_constraints_version() RETURNS integer LANGUAGE sql IMMUTABLE AS $f$ SELECT ${CONSTRAINTS_VERSION} $f$;`,
  );
  // EXECUTE each statement: a DO block is one statement, so the advisory lock covers them all. A
  // database at this version is left alone: replacing triggers takes locks that would wait for (and
  // could deadlock with) other processes' loads.
  const executed = body.map((statement) => `EXECUTE ${dollarQuote(statement)};`);
  return (
    `DO $do$ BEGIN PERFORM pg_advisory_xact_lock(hashtext('sensor-log:constraints')); ` +
    `IF to_regprocedure('sensor_log_constraints_version()') IS NOT NULL THEN IF sensor_log_constraints_version() = ${CONSTRAINTS_VERSION} THEN RETURN; END IF; END IF; ` +
    `${executed.join(' ')} END $do$`
  );
}

function dollarQuote(text: string): string {
  return `$q$${text}$q$`;
}

/** For each referenced table, the (table, column) pairs that reference it. */
function referencedBy(): Map<string, { table: string; column: string }[]> {
  const out = new Map<string, { table: string; column: string }[]>();
  for (const table of SCHEMA) {
    for (const fk of table.foreignKeys) {
      const list = out.get(fk.table) ?? [];
      list.push({ table: table.spec.name, column: fk.column });
      out.set(fk.table, list);
    }
  }
  return out;
}

function sqliteConstraintStatements(): string[] {
  const out: string[] = [];
  for (const table of SCHEMA) {
    const name = table.spec.name;
    for (const column of table.unique) out.push(`CREATE UNIQUE INDEX IF NOT EXISTS ${name}_${column}_key ON ${name} (${column})`);
  }
  for (const table of SCHEMA) {
    const name = table.spec.name;
    for (const fk of table.foreignKeys) {
      for (const event of ['INSERT', `UPDATE OF ${fk.column}`]) {
        const trigger = `${name}_${fk.column}_fk_${event.startsWith('INSERT') ? 'insert' : 'update'}`;
        out.push(
          `CREATE TRIGGER IF NOT EXISTS ${trigger} BEFORE ${event} ON ${name} ` +
            `WHEN NOT EXISTS (SELECT 1 FROM ${fk.table} WHERE id = NEW.${fk.column}) ` +
            `BEGIN SELECT RAISE(ABORT, 'FOREIGN KEY constraint failed: ${name}.${fk.column} is not in ${fk.table}'); END`,
        );
      }
    }
  }
  for (const [referenced, refs] of referencedBy()) {
    for (const { table, column } of refs) {
      out.push(
        `CREATE TRIGGER IF NOT EXISTS ${referenced}_${table}_${column}_fk_restrict BEFORE DELETE ON ${referenced} ` +
          `WHEN EXISTS (SELECT 1 FROM ${table} WHERE ${column} = OLD.id) ` +
          `BEGIN SELECT RAISE(ABORT, 'FOREIGN KEY constraint failed: ${referenced}.id is still referenced from ${table}.${column}'); END`,
        `CREATE TRIGGER IF NOT EXISTS ${referenced}_${table}_${column}_fk_restrict_update BEFORE UPDATE OF id ON ${referenced} ` +
          `WHEN NEW.id <> OLD.id AND EXISTS (SELECT 1 FROM ${table} WHERE ${column} = OLD.id) ` +
          `BEGIN SELECT RAISE(ABORT, 'FOREIGN KEY constraint failed: ${referenced}.id is still referenced from ${table}.${column}'); END`,
      );
    }
  }
  return out;
}

/** Migrates the schema and applies its constraints. */
export async function migrateSchema(store: Store): Promise<void> {
  await store.migrate(TABLE_SPECS);
  await applyConstraints(store);
}
