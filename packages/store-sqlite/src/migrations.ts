/**
 * Migration planning, pure: validating table specs, their checksum, and what it takes to go from
 * the spec recorded in `sluice_migrations` to the spec asked for.
 */
import { createHash } from 'node:crypto';
import { ConfigError, StoreError, assertTableSpec, type ColumnSpec, type TableSpec } from '@sluice/core';
import { SQL_TYPES } from './statements.js';

/** Prefix of the store's own tables; table specs may not use it. */
export const RESERVED_PREFIX = 'sluice_';

const MODES = new Set(['merge', 'append']);

/** The spec in a canonical form: `nullable` and `mode` spelled out, nothing else kept. */
export function canonicalSpec(spec: TableSpec): TableSpec {
  return {
    name: spec.name,
    columns: spec.columns.map((c) => ({ name: c.name, type: c.type, nullable: c.nullable === true })),
    key: [...spec.key],
    mode: spec.mode ?? 'merge',
  };
}

/** Checksum of what shapes the table: its columns (name, type, nullability) and key. */
export function specChecksum(spec: TableSpec): string {
  const { columns, key } = canonicalSpec(spec);
  return createHash('sha256').update(JSON.stringify({ columns, key })).digest('hex');
}

/**
 * Checks every spec before anything is executed (`assertTableSpec`, known column types and modes,
 * non-nullable keys, no reserved names, one spec per name) and returns them in canonical form.
 */
export function validateSpecs(tables: readonly TableSpec[]): TableSpec[] {
  const byName = new Map<string, string>();
  return tables.map((spec) => {
    assertTableSpec(spec);
    if (spec.name.toLowerCase().startsWith(RESERVED_PREFIX)) {
      throw new ConfigError(`table "${spec.name}": names starting with "${RESERVED_PREFIX}" are reserved for the store's own tables; rename it`, 'name');
    }
    for (const column of spec.columns) {
      if (!(column.type in SQL_TYPES)) {
        throw new ConfigError(
          `table "${spec.name}", column "${column.name}": unknown type "${column.type}"; use one of ${Object.keys(SQL_TYPES).join(', ')}`,
          'columns',
        );
      }
      if (column.nullable === true && spec.key.includes(column.name)) {
        throw new ConfigError(`table "${spec.name}": key column "${column.name}" cannot be nullable; remove nullable from it`, 'key');
      }
    }
    if (spec.mode !== undefined && !MODES.has(spec.mode)) {
      throw new ConfigError(`table "${spec.name}": unknown write mode "${spec.mode}"; use "merge" or "append"`, 'mode');
    }
    const canonical = canonicalSpec(spec);
    const text = JSON.stringify(canonical);
    const seen = byName.get(spec.name);
    if (seen !== undefined && seen !== text) {
      throw new ConfigError(`table "${spec.name}" is given twice with different specs; give it once`, 'name');
    }
    byName.set(spec.name, text);
    return canonical;
  });
}

/** What migrating an existing table takes. */
export type MigrationPlan = { kind: 'same' } | { kind: 'add'; columns: ColumnSpec[] };

function describeColumn(c: ColumnSpec): string {
  return `${c.type}${c.nullable ? ' nullable' : ''}`;
}

/**
 * Compares the recorded spec of an existing table with the wanted one. New nullable columns can be
 * added; anything else that differs throws a `StoreError` listing every difference.
 */
export function planMigration(recorded: TableSpec, wanted: TableSpec): MigrationPlan {
  const before = canonicalSpec(recorded);
  const after = canonicalSpec(wanted);
  const old = new Map(before.columns.map((c) => [c.name, c]));
  const problems: string[] = [];
  const added: ColumnSpec[] = [];
  for (const column of after.columns) {
    const previous = old.get(column.name);
    old.delete(column.name);
    if (previous === undefined) {
      if (column.nullable) added.push(column);
      else problems.push(`new column "${column.name}" must be nullable to be added to existing rows`);
    } else if (describeColumn(previous) !== describeColumn(column)) {
      problems.push(`column "${column.name}" changed from ${describeColumn(previous)} to ${describeColumn(column)}`);
    }
  }
  for (const name of old.keys()) problems.push(`column "${name}" was removed`);
  if (before.key.join(',') !== after.key.join(',')) {
    problems.push(`key changed from (${before.key.join(', ')}) to (${after.key.join(', ')})`);
  }
  if (problems.length > 0) {
    throw new StoreError(
      `cannot migrate table "${wanted.name}": its spec differs from the one it was created with: ${problems.join('; ')}. ` +
        'Only new nullable columns can be added; migrate the data into a new table instead.',
      'migrate',
      wanted.name,
    );
  }
  return added.length === 0 ? { kind: 'same' } : { kind: 'add', columns: added };
}
