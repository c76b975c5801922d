/**
 * The normalised schema (the migrations), its keys, and the ER diagram generated from them.
 *
 * Dimension ids are not drawn from a sequence: an id is a 53-bit hash of the dimension's name
 * (`dimensionId`), so every process computes the same id for the same name without asking the
 * database, concurrent upserts of one name write the same row, and a (vanishingly unlikely) hash
 * collision is refused by the UNIQUE index on `id` instead of passing silently.
 *
 * Foreign keys are enforced by the store, checked once per statement (`check: 'statement'`): on
 * PostgreSQL one query per COPY (one per unit of files) over the distinct ids it wrote, instead of
 * a lookup per row and key as a declared FOREIGN KEY makes (measured here: ~10 s per million rows
 * with two keys); on SQLite an in-process index probe per row. Deleting a referenced row is refused.
 */
import { createHash } from 'node:crypto';
import type { ForeignKey, Store, TableSpec } from '@sluice/core';

/** A table of the schema: its Store spec (keys included) and what it holds, for the ER diagram. */
export interface SchemaTable {
  spec: TableSpec;
  comment: string;
}

/** `column` references `table(id)`, checked per statement. */
const references = (column: string, table: string): ForeignKey => ({ columns: [column], references: { table, columns: ['id'] }, check: 'statement' });

/** The migrations of the sensor log, in dependency order. */
export const SCHEMA: readonly SchemaTable[] = [
  {
    spec: { name: 'department', key: ['name'], columns: [{ name: 'name', type: 'text' }, { name: 'id', type: 'bigint' }], unique: [['id']] },
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
      unique: [['id']],
      foreignKeys: [references('department_id', 'department')],
    },
    comment: 'a sensor, in one department',
  },
  {
    spec: { name: 'product', key: ['name'], columns: [{ name: 'name', type: 'text' }, { name: 'id', type: 'bigint' }], unique: [['id']] },
    comment: 'a product',
  },
  {
    spec: { name: 'source_file', key: ['name'], columns: [{ name: 'name', type: 'text' }, { name: 'id', type: 'bigint' }], unique: [['id']] },
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
      foreignKeys: [references('file_id', 'source_file'), references('sensor_id', 'sensor'), references('product_id', 'product')],
    },
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
    for (const fk of table.spec.foreignKeys ?? []) lines.push(`    ${fk.references.table} ||--o{ ${table.spec.name} : "${fk.columns.join(', ')}"`);
  }
  for (const table of schema) {
    lines.push(`    ${table.spec.name} {`);
    for (const column of table.spec.columns) {
      const marks = [
        ...(table.spec.key.includes(column.name) ? ['PK'] : []),
        ...((table.spec.foreignKeys ?? []).some((fk) => fk.columns.includes(column.name)) ? ['FK'] : []),
        ...((table.spec.unique ?? []).some((list) => list.includes(column.name)) ? ['UK'] : []),
      ];
      lines.push(`        ${MERMAID_TYPES[column.type]} ${column.name}${marks.length > 0 ? ` ${marks.join(', ')}` : ''}`);
    }
    lines.push('    }');
  }
  return lines.join('\n');
}

/**
 * Removes the triggers and functions with which versions before the Store contract had keys
 * enforced the foreign keys (the unique indexes keep their names, so they stay): their checks are
 * the store's now. PostgreSQL: once, under an advisory lock, while `sensor_log_constraints_version()`
 * exists; SQLite: `DROP … IF EXISTS`, cheap enough for every start.
 */
async function dropLegacyConstraints(store: Store): Promise<void> {
  const legacy = SCHEMA.flatMap((t) => (t.spec.foreignKeys ?? []).map((fk) => ({ table: t.spec.name, column: fk.columns[0]!, referenced: fk.references.table })));
  if (store.name === 'pg') {
    const tables = [...new Set(legacy.map((l) => l.table))];
    const referenced = [...new Set(legacy.map((l) => l.referenced))];
    const drops = [
      ...tables.flatMap((t) => [`DROP TRIGGER IF EXISTS ${t}_fk_insert ON ${t};`, `DROP TRIGGER IF EXISTS ${t}_fk_update ON ${t};`, `DROP FUNCTION IF EXISTS ${t}_fk_check();`]),
      ...referenced.flatMap((r) => [`DROP TRIGGER IF EXISTS ${r}_fk_restrict ON ${r};`, `DROP FUNCTION IF EXISTS ${r}_fk_restrict();`]),
      'DROP TRIGGER IF EXISTS sensor_log_unit_checkpoint ON sluice_checkpoints;',
      'DROP FUNCTION IF EXISTS sensor_log_unit_checkpoint();',
      'DROP FUNCTION sensor_log_constraints_version();',
    ];
    await store.query(
      `DO $do$ BEGIN IF to_regprocedure('sensor_log_constraints_version()') IS NULL THEN RETURN; END IF; ` +
        `PERFORM pg_advisory_xact_lock(hashtext('sensor-log:constraints')); ` +
        `IF to_regprocedure('sensor_log_constraints_version()') IS NULL THEN RETURN; END IF; ${drops.join(' ')} END $do$`,
    );
    return;
  }
  for (const { table, column, referenced } of legacy) {
    for (const trigger of [`${table}_${column}_fk_insert`, `${table}_${column}_fk_update`, `${referenced}_${table}_${column}_fk_restrict`, `${referenced}_${table}_${column}_fk_restrict_update`]) {
      await store.query(`DROP TRIGGER IF EXISTS ${trigger}`);
    }
  }
}

/** Migrates the schema, its keys included. */
export async function migrateSchema(store: Store): Promise<void> {
  await dropLegacyConstraints(store);
  await store.migrate(TABLE_SPECS);
}
