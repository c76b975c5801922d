/**
 * Engine-neutral migration rules of the SQL stores, pure: which table specs are valid, their
 * canonical form and checksum, and what it takes to go from the spec recorded for a table to the
 * spec asked for. Each store turns a diff into its own DDL and decides what its engine can run.
 *
 * Rules of a diff: new nullable columns are added; a NOT NULL column may become nullable; a
 * nullable column may be left out of the spec (it stays in the table); anything else (a key change,
 * a type change, a new NOT NULL column, a column made NOT NULL, a NOT NULL column left out) is a
 * problem, listed in words.
 */
import { createHash } from 'node:crypto';
import { assertConstraints, assertReferences, canonicalConstraints, constraintChanges, type CanonicalForeignKey, type ConstraintChanges } from './constraints.js';
import { ConfigError } from './errors.js';
import { assertTableSpec } from './sql.js';
import type { ColumnType, TableSpec, WriteMode } from './types.js';

/** Prefix of the stores' own tables (`sluice_migrations`, ...); table specs may not use it. */
export const RESERVED_PREFIX = 'sluice_';

/** Every column type a spec may use; each store maps all of them. */
export const COLUMN_TYPES: readonly ColumnType[] = ['text', 'integer', 'bigint', 'real', 'boolean', 'timestamp', 'json'];

/** Every write mode a spec or a batch may use. */
export const WRITE_MODES: readonly WriteMode[] = ['merge', 'append'];

/** A column with its effective nullability spelled out (key columns are never nullable). */
export interface CanonicalColumn {
  name: string;
  type: ColumnType;
  nullable: boolean;
}

/**
 * A spec in a stable form: columns sorted by name with their effective nullability, the key in
 * its declared order, the write mode spelled out. Specs that need the same table and write the
 * same way have equal canonical forms; it is what the stores record in `sluice_migrations`.
 */
export interface CanonicalSpec {
  name: string;
  columns: CanonicalColumn[];
  key: string[];
  mode: WriteMode;
  /** Unique column lists (see `canonicalUnique`); absent when there are none. */
  unique?: string[][];
  /** Foreign keys (see `canonicalForeignKeys`); absent when there are none. */
  foreignKeys?: CanonicalForeignKey[];
}

/** The columns of a spec in declared order, with effective nullability. */
function canonicalColumns(spec: Pick<TableSpec, 'columns' | 'key'>): CanonicalColumn[] {
  const key = new Set(spec.key);
  return spec.columns.map((c) => ({ name: c.name, type: c.type, nullable: !key.has(c.name) && c.nullable === true }));
}

function byName(a: CanonicalColumn, b: CanonicalColumn): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** The canonical form of a spec (see `CanonicalSpec`). */
export function canonicalSpec(spec: TableSpec): CanonicalSpec {
  return { name: spec.name, columns: canonicalColumns(spec).sort(byName), key: [...spec.key], mode: spec.mode ?? 'merge', ...canonicalConstraints(spec) };
}

/**
 * SHA-256 (hex) of what shapes the table: columns (name, type, nullability, in any order), key,
 * and unique lists and foreign keys where there are any (so a spec without them sums as before
 * they existed). Equal for specs that need the same table; the write mode and column order do not count.
 */
export function specChecksum(spec: Pick<TableSpec, 'columns' | 'key' | 'unique' | 'foreignKeys'>): string {
  const shape = { columns: canonicalColumns(spec).sort(byName), key: [...spec.key], ...canonicalConstraints(spec) };
  return createHash('sha256').update(JSON.stringify(shape)).digest('hex');
}

/** Whether two specs have the same canonical form (same table shape and write mode). */
export function sameSpec(a: TableSpec, b: TableSpec): boolean {
  return JSON.stringify(canonicalSpec(a)) === JSON.stringify(canonicalSpec(b));
}

function fail(spec: { name?: unknown }, what: string, option: string): never {
  throw new ConfigError(`table "${String(spec.name)}": ${what}`, option);
}

/** Checks the JavaScript shape of a spec, so that the checks after it cannot crash on it. */
function assertShape(spec: unknown, index: number): asserts spec is TableSpec {
  if (typeof spec !== 'object' || spec === null) {
    throw new ConfigError(`table spec ${index} is ${String(spec)}; give an object { name, columns, key, mode? }`, 'tables');
  }
  const { name, columns, key } = spec as Record<string, unknown>;
  if (typeof name !== 'string') throw new ConfigError(`table spec ${index} has no string name`, 'name');
  if (!Array.isArray(columns) || columns.some((c) => typeof c !== 'object' || c === null || typeof c.name !== 'string')) {
    fail(spec, 'columns must be an array of { name, type, nullable? }', 'columns');
  }
  if (!Array.isArray(key) || key.some((k) => typeof k !== 'string')) fail(spec, 'key must be an array of column names', 'key');
}

/** Checks one spec beyond `assertTableSpec`: types, nullability, mode, reserved names. */
function assertSpecRules(spec: TableSpec): void {
  assertTableSpec(spec);
  if (spec.name.toLowerCase().startsWith(RESERVED_PREFIX)) {
    fail(spec, `names starting with "${RESERVED_PREFIX}" are reserved for the store's own tables; rename it`, 'name');
  }
  if (new Set(spec.key).size !== spec.key.length) fail(spec, `the key (${spec.key.join(', ')}) names a column twice`, 'key');
  for (const column of spec.columns) {
    if (!COLUMN_TYPES.includes(column.type)) {
      fail(spec, `column "${column.name}": unknown type "${String(column.type)}"; use one of ${COLUMN_TYPES.join(', ')}`, 'columns');
    }
    if (column.nullable !== undefined && typeof column.nullable !== 'boolean') {
      fail(spec, `column "${column.name}": nullable must be true or false, got ${String(column.nullable)}`, 'columns');
    }
    if (column.nullable === true && spec.key.includes(column.name)) {
      fail(spec, `key column "${column.name}" cannot be nullable; remove nullable from it`, 'key');
    }
  }
  if (spec.mode !== undefined && !WRITE_MODES.includes(spec.mode)) {
    fail(spec, `unknown write mode "${String(spec.mode)}"; use "merge" or "append"`, 'mode');
  }
  assertConstraints(spec);
}

/**
 * Checks table specs before anything is executed: `assertTableSpec` (safe names, a key among the
 * columns), known column types and write modes, boolean `nullable`, no nullable or repeated key
 * column, no name with the reserved `sluice_` prefix, no table given twice with different specs,
 * unique lists and foreign keys over the table's columns, and every foreign key referencing the key
 * or a unique list of a table given in the same call. Throws a `ConfigError` naming the table and
 * what to change.
 */
export function assertTableSpecs(specs: unknown): asserts specs is readonly TableSpec[] {
  if (!Array.isArray(specs)) throw new ConfigError(`migrate: give an array of table specs, got ${String(specs)}`, 'tables');
  const seen = new Map<string, string>();
  specs.forEach((spec: unknown, index) => {
    assertShape(spec, index);
    assertSpecRules(spec);
    const text = JSON.stringify(canonicalSpec(spec));
    const earlier = seen.get(spec.name);
    if (earlier !== undefined && earlier !== text) fail(spec, 'it is given twice with different specs; give it once', 'name');
    seen.set(spec.name, text);
  });
  assertReferences(specs);
}

/** What it takes to go from the spec recorded for an existing table to the wanted spec. */
export interface SpecDiff {
  /** New columns to add (all nullable), in the wanted spec's order. */
  add: CanonicalColumn[];
  /** Columns that go from NOT NULL to nullable. */
  relax: string[];
  /** Changes no store makes, in words (`column "x" changes type from real to integer`); empty when none. */
  problems: string[];
  /** Unique lists and foreign keys to add and to drop. */
  constraints: ConstraintChanges;
  /**
   * The table as it is once `add` and `relax` are applied, with the wanted write mode: columns left
   * out of the wanted spec stay in it. This is what to record, and what another writer should use.
   */
  after: CanonicalSpec;
  /** Whether `after` differs from the recorded spec (a new record is due, even without DDL). */
  changed: boolean;
}

const list = (names: readonly string[]) => `(${names.join(', ')})`;

/** The problem, if any, of a column present in both specs; `'relax'` when it only becomes nullable. */
function columnChange(old: CanonicalColumn, column: CanonicalColumn): string | 'relax' | undefined {
  if (old.type !== column.type) return `column "${column.name}" changes type from ${old.type} to ${column.type}`;
  if (old.nullable && !column.nullable) return `column "${column.name}" changes from nullable to NOT NULL`;
  return !old.nullable && column.nullable ? 'relax' : undefined;
}

/**
 * Compares the recorded spec of an existing table with the wanted one (see the rules at the top of
 * this module). Pure; it never throws on a difference, it lists it in `problems`.
 */
export function diffSpecs(recorded: TableSpec, wanted: TableSpec): SpecDiff {
  const before = canonicalSpec(recorded);
  const shape = new Map(before.columns.map((c) => [c.name, { ...c }]));
  const diff: Omit<SpecDiff, 'after' | 'changed'> = { add: [], relax: [], problems: [], constraints: constraintChanges(before, wanted) };
  if (before.key.join(',') !== wanted.key.join(',')) {
    diff.problems.push(`the key changes from ${list(before.key)} to ${list(wanted.key)}`);
  }
  for (const column of canonicalColumns(wanted)) {
    const old = shape.get(column.name);
    if (old === undefined) {
      if (column.nullable) diff.add.push(column);
      else diff.problems.push(`new column "${column.name}" is NOT NULL, but existing rows have no value for it: declare it nullable`);
      shape.set(column.name, { ...column, nullable: true });
      continue;
    }
    const change = columnChange(old, column);
    if (change === 'relax') {
      diff.relax.push(column.name);
      old.nullable = true;
    } else if (change !== undefined) {
      diff.problems.push(change);
    }
  }
  const declared = new Set(wanted.columns.map((c) => c.name));
  for (const old of before.columns) {
    if (!declared.has(old.name) && !old.nullable) {
      diff.problems.push(`NOT NULL column "${old.name}" is missing from the spec, so every write would fail: keep it in the spec`);
    }
  }
  const after = canonicalSpec({
    name: wanted.name,
    columns: [...shape.values()],
    key: before.key,
    mode: wanted.mode ?? 'merge',
    ...(wanted.unique ? { unique: wanted.unique } : {}),
    ...(wanted.foreignKeys ? { foreignKeys: wanted.foreignKeys } : {}),
  });
  return { ...diff, after, changed: JSON.stringify(after) !== JSON.stringify(before) };
}
