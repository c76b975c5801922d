/**
 * Unique column lists and foreign keys of table specs, pure: their rules, canonical form and names,
 * the order in which tables must be migrated, and what changes between a recorded spec and a
 * wanted one. Each store turns these into its own DDL.
 */
import { createHash } from 'node:crypto';
import { ConfigError } from './errors.js';
import type { ForeignKey, TableSpec } from './types.js';

/** A foreign key with its check spelled out. */
export interface CanonicalForeignKey {
  columns: string[];
  references: { table: string; columns: string[] };
  check: 'row' | 'statement';
}

/** What a migration adds and drops of a table's unique lists and foreign keys. */
export interface ConstraintChanges {
  addUnique: string[][];
  dropUnique: string[][];
  addForeignKeys: CanonicalForeignKey[];
  dropForeignKeys: CanonicalForeignKey[];
}

type Constrained = Pick<TableSpec, 'unique' | 'foreignKeys'>;

const text = (value: unknown) => JSON.stringify(value);
const sortedByText = <T>(items: T[]): T[] => items.sort((a, b) => (text(a) < text(b) ? -1 : text(a) > text(b) ? 1 : 0));

/** The unique lists of a spec: columns in declared order, lists sorted, repeats dropped. */
export function canonicalUnique(spec: Constrained): string[][] {
  const lists = new Map((spec.unique ?? []).map((list) => [text(list), [...list]]));
  return sortedByText([...lists.values()]);
}

/** The foreign keys of a spec: `check` spelled out, sorted, repeats dropped. */
export function canonicalForeignKeys(spec: Constrained): CanonicalForeignKey[] {
  const keys = new Map(
    (spec.foreignKeys ?? []).map((fk): [string, CanonicalForeignKey] => {
      const canonical = { columns: [...fk.columns], references: { table: fk.references.table, columns: [...fk.references.columns] }, check: fk.check ?? 'row' };
      return [text(canonical), canonical];
    }),
  );
  return sortedByText([...keys.values()]);
}

/** PostgreSQL keeps at most 63 bytes of a name; SQLite has no limit, but one name serves both. */
const MAX_NAME_BYTES = 63;

/**
 * The name of a table's index, constraint or trigger over `columns`: `table_col1_col2_suffix`, or,
 * when that is longer than 63 bytes, its start and a hash of the whole (so two long names differ).
 */
export function constraintName(table: string, columns: readonly string[], suffix: string): string {
  const name = `${table}_${columns.join('_')}_${suffix}`;
  if (Buffer.byteLength(name) <= MAX_NAME_BYTES) return name;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 10);
  let start = name.slice(0, MAX_NAME_BYTES - hash.length - suffix.length - 2);
  while (Buffer.byteLength(start) > MAX_NAME_BYTES - hash.length - suffix.length - 2) start = start.slice(0, -1);
  return `${start}_${hash}_${suffix}`;
}

/** Name of the UNIQUE index of a column list. */
export const uniqueName = (table: string, columns: readonly string[]): string => constraintName(table, columns, 'key');

/** Name of a foreign key (and the stem of the names of the triggers that enforce it). */
export const foreignKeyName = (table: string, fk: Pick<ForeignKey, 'columns'>): string => constraintName(table, fk.columns, 'fkey');

function fail(table: string, what: string, option: string): never {
  throw new ConfigError(`table "${table}": ${what}`, option);
}

function assertColumnList(spec: TableSpec, list: unknown, what: string, option: string): asserts list is readonly string[] {
  const names = new Set(spec.columns.map((c) => c.name));
  if (!Array.isArray(list) || list.length === 0 || list.some((c) => typeof c !== 'string')) fail(spec.name, `${what} must be a non-empty array of column names`, option);
  const missing = list.find((c: string) => !names.has(c));
  if (missing !== undefined) fail(spec.name, `${what} names "${missing}", which is not a column of the table`, option);
  if (new Set(list).size !== list.length) fail(spec.name, `${what} names a column twice`, option);
}

/** Checks a spec's own unique lists and foreign keys (columns that exist, a known check). */
export function assertConstraints(spec: TableSpec): void {
  if (spec.unique !== undefined && !Array.isArray(spec.unique)) fail(spec.name, 'unique must be an array of column lists', 'unique');
  for (const [i, list] of (spec.unique ?? []).entries()) {
    assertColumnList(spec, list, `unique[${i}]`, 'unique');
    if (text([...list].sort()) === text([...spec.key].sort())) fail(spec.name, `unique[${i}] (${list.join(', ')}) is the key, which is unique already`, 'unique');
  }
  if (spec.foreignKeys !== undefined && !Array.isArray(spec.foreignKeys)) fail(spec.name, 'foreignKeys must be an array of { columns, references }', 'foreignKeys');
  for (const [i, fk] of (spec.foreignKeys ?? []).entries()) {
    const where = `foreignKeys[${i}]`;
    if (typeof fk !== 'object' || fk === null || typeof fk.references !== 'object' || fk.references === null || typeof fk.references.table !== 'string') {
      fail(spec.name, `${where} must be { columns, references: { table, columns }, check? }`, 'foreignKeys');
    }
    assertColumnList(spec, fk.columns, `${where}.columns`, 'foreignKeys');
    const referenced: unknown = fk.references.columns;
    if (!Array.isArray(referenced) || referenced.length !== fk.columns.length || referenced.some((c) => typeof c !== 'string')) {
      fail(spec.name, `${where} references ${fk.columns.length} column(s): give references.columns as many column names`, 'foreignKeys');
    }
    if (fk.check !== undefined && fk.check !== 'row' && fk.check !== 'statement') {
      fail(spec.name, `${where}.check is ${text(fk.check)}; use "row" or "statement"`, 'foreignKeys');
    }
  }
}

/**
 * Checks the foreign keys of specs given to one `migrate` call against each other: the referenced
 * table is among them, and the referenced columns are its key or one of its unique lists, of the
 * same types as the referencing columns.
 */
export function assertReferences(specs: readonly TableSpec[]): void {
  const byName = new Map(specs.map((s) => [s.name, s]));
  for (const spec of specs) {
    for (const [i, fk] of (spec.foreignKeys ?? []).entries()) {
      const where = `foreignKeys[${i}] (${fk.columns.join(', ')})`;
      const target = byName.get(fk.references.table);
      if (target === undefined) {
        fail(spec.name, `${where} references table "${fk.references.table}", which is not in this migrate call: migrate both tables together`, 'foreignKeys');
      }
      const wanted = text([...fk.references.columns].sort());
      const candidates = [target.key, ...(target.unique ?? [])];
      if (!candidates.some((list) => text([...list].sort()) === wanted)) {
        fail(
          spec.name,
          `${where} references (${fk.references.columns.join(', ')}) of "${target.name}", which are neither its key nor one of its unique lists: declare them unique there`,
          'foreignKeys',
        );
      }
      fk.columns.forEach((column, k) => {
        const from = spec.columns.find((c) => c.name === column)!;
        const to = target.columns.find((c) => c.name === fk.references.columns[k]);
        if (to !== undefined && to.type !== from.type) {
          fail(spec.name, `${where}: column "${column}" is ${from.type} but "${target.name}.${to.name}" is ${to.type}; give them one type`, 'foreignKeys');
        }
      });
    }
  }
}

/** The specs in an order in which every referenced table comes before the tables referencing it. */
export function migrationOrder(specs: readonly TableSpec[]): TableSpec[] {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const state = new Map<string, 'visiting' | 'done'>();
  const out: TableSpec[] = [];
  const visit = (spec: TableSpec, path: string[]) => {
    const seen = state.get(spec.name);
    if (seen === 'done') return;
    if (seen === 'visiting') throw new ConfigError(`foreign keys form a cycle: ${[...path, spec.name].join(' → ')}; break it, or enforce one of them yourself`, 'foreignKeys');
    state.set(spec.name, 'visiting');
    for (const fk of spec.foreignKeys ?? []) {
      const target = byName.get(fk.references.table);
      if (target !== undefined && target.name !== spec.name) visit(target, [...path, spec.name]);
    }
    state.set(spec.name, 'done');
    out.push(spec);
  };
  for (const spec of specs) visit(spec, []);
  return out;
}

/** The unique lists and foreign keys to add to and drop from a table recorded with `recorded`. */
export function constraintChanges(recorded: Constrained, wanted: Constrained): ConstraintChanges {
  const minus = <T>(a: T[], b: T[]) => {
    const other = new Set(b.map(text));
    return a.filter((item) => !other.has(text(item)));
  };
  const [uniqueBefore, uniqueAfter] = [canonicalUnique(recorded), canonicalUnique(wanted)];
  const [keysBefore, keysAfter] = [canonicalForeignKeys(recorded), canonicalForeignKeys(wanted)];
  return {
    addUnique: minus(uniqueAfter, uniqueBefore),
    dropUnique: minus(uniqueBefore, uniqueAfter),
    addForeignKeys: minus(keysAfter, keysBefore),
    dropForeignKeys: minus(keysBefore, keysAfter),
  };
}

/** The constraints of a spec in canonical form, as optional fields: absent when there are none. */
export function canonicalConstraints(spec: Constrained): { unique?: string[][]; foreignKeys?: CanonicalForeignKey[] } {
  const unique = canonicalUnique(spec);
  const foreignKeys = canonicalForeignKeys(spec);
  return { ...(unique.length > 0 ? { unique } : {}), ...(foreignKeys.length > 0 ? { foreignKeys } : {}) };
}
