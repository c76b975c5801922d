/**
 * Pure DDL of the PostgreSQL store: the type mapping and the CREATE / ALTER statements. (The
 * canonical form and checksum of a spec are core's.) Every identifier goes through `quoteIdentifier`.
 */
import { ConfigError, quoteIdentifier, type ColumnSpec, type ColumnType, type TableSpec } from '@sluice/core';

/** PostgreSQL type of each Sluice column type. */
export const PG_TYPES: Readonly<Record<ColumnType, string>> = {
  text: 'text',
  integer: 'integer',
  bigint: 'bigint',
  real: 'double precision',
  boolean: 'boolean',
  timestamp: 'timestamptz',
  json: 'jsonb',
};

/** The PostgreSQL type of a column type; throws `ConfigError` for a type Sluice does not know. */
export function pgType(type: ColumnType, table: string, column: string): string {
  const mapped = Object.hasOwn(PG_TYPES, type) ? PG_TYPES[type] : undefined;
  if (mapped === undefined) {
    throw new ConfigError(
      `column "${column}" of table "${table}" has type "${String(type)}"; use one of ${Object.keys(PG_TYPES).join(', ')}`,
      'columns',
    );
  }
  return mapped;
}

/** `"schema"."name"`. */
export function qualify(schema: string, name: string): string {
  return `${quoteIdentifier(schema)}.${quoteIdentifier(name)}`;
}

/** Comma-separated quoted column names. */
export function columnList(names: readonly string[]): string {
  return names.map(quoteIdentifier).join(', ');
}

/** `"name" type [NOT NULL]`. */
function columnDefinition(table: string, column: ColumnSpec, notNull: boolean): string {
  return `${quoteIdentifier(column.name)} ${pgType(column.type, table, column.name)}${notNull ? ' NOT NULL' : ''}`;
}

/** CREATE TABLE with the natural key as PRIMARY KEY (key columns are NOT NULL whatever the spec says). */
export function createTableSql(schema: string, spec: TableSpec): string {
  const key = new Set(spec.key);
  const definitions = spec.columns.map((c) => columnDefinition(spec.name, c, key.has(c.name) || c.nullable !== true));
  return `CREATE TABLE ${qualify(schema, spec.name)} (${definitions.join(', ')}, PRIMARY KEY (${columnList(spec.key)}))`;
}

/** ALTER TABLE … ADD COLUMN for a new nullable column. */
export function addColumnSql(schema: string, table: string, column: ColumnSpec): string {
  return `ALTER TABLE ${qualify(schema, table)} ADD COLUMN ${columnDefinition(table, column, false)}`;
}

/** ALTER TABLE … ALTER COLUMN … DROP NOT NULL, for a column the spec now allows to be null. */
export function dropNotNullSql(schema: string, table: string, column: string): string {
  return `ALTER TABLE ${qualify(schema, table)} ALTER COLUMN ${quoteIdentifier(column)} DROP NOT NULL`;
}

/**
 * A session-local staging table for merges: same columns as the spec, no constraints, emptied at
 * every commit. Created once per connection and spec version.
 */
export function createStagingSql(staging: string, spec: TableSpec): string {
  const definitions = spec.columns.map((c) => columnDefinition(spec.name, c, false));
  return `CREATE TEMP TABLE IF NOT EXISTS ${quoteIdentifier(staging)} (${definitions.join(', ')}) ON COMMIT DELETE ROWS`;
}

/** Names of the store's own tables (core's `RESERVED_PREFIX` keeps table specs away from them). */
export const INTERNAL_TABLES = {
  migrations: 'sluice_migrations',
  checkpoints: 'sluice_checkpoints',
  deadLetters: 'sluice_dead_letters',
} as const;

/** DDL of the schema and the store's own tables, idempotent. */
export function internalTablesSql(schema: string): string[] {
  const t = (name: string) => qualify(schema, name);
  return [
    `CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(schema)}`,
    `CREATE TABLE IF NOT EXISTS ${t(INTERNAL_TABLES.migrations)} (name text NOT NULL, version integer NOT NULL, ` +
      `checksum text NOT NULL, spec jsonb NOT NULL, statements text NOT NULL, ` +
      `applied_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (name, version))`,
    `CREATE TABLE IF NOT EXISTS ${t(INTERNAL_TABLES.checkpoints)} (stream text PRIMARY KEY, position jsonb NOT NULL, ` +
      `updated_at timestamptz NOT NULL DEFAULT now())`,
    `CREATE TABLE IF NOT EXISTS ${t(INTERNAL_TABLES.deadLetters)} (id bigserial PRIMARY KEY, origin text NOT NULL, ` +
      `position jsonb, key text, reason text NOT NULL, payload text NOT NULL, at timestamptz NOT NULL, encoding text)`,
    // Tables made before dead letters kept their payload's encoding ('base64' for exact bytes).
    `ALTER TABLE ${t(INTERNAL_TABLES.deadLetters)} ADD COLUMN IF NOT EXISTS encoding text`,
    `CREATE INDEX IF NOT EXISTS ${quoteIdentifier(`${INTERNAL_TABLES.deadLetters}_origin`)} ` +
      `ON ${t(INTERNAL_TABLES.deadLetters)} (origin, id)`,
  ];
}
