/**
 * The store contract: what every `Store` adapter must do, checked against a real engine. An
 * adapter's suite file is a factory plus one call: `storeContract(it, { create, param })`.
 *
 * The suite is written for engines shared between tests and processes (a PostgreSQL server): every
 * test uses random table, stream and origin names, drops its tables at the end, and reads the
 * store's own checkpoint and dead-letter tables only through the `Store` interface. It checks only
 * value round trips that are portable (text, integer, real exactly representable as float4, null,
 * JSON read back as string or object) and normalises numbers with `Number()`, since engines return
 * counts and 64-bit integers as strings.
 */
import { expect, type TestAPI } from 'vitest';
import { ConfigError, SluiceError, StoreError } from '../errors.js';
import { readInKeyOrder } from '../keyset.js';
import { quoteIdentifier } from '../sql.js';
import type { ColumnSpec, DeadLetter, Row, Store, TableSpec, WriteBatch } from '../types.js';
import { randomName } from './services.js';

/** How the store contract gets a store of the adapter under test. */
export interface StoreContractOptions {
  /** A fresh store; each test calls it once and closes it. Tests use random table names (randomName) and clean up where the engine is shared. */
  create(): Promise<Store>;
  /** The engine's positional placeholder for parameter n (1-based): `?` for SQLite, `$n` for PostgreSQL. */
  param(n: number): string;
}

/** What a test body gets: the store and helpers that name, read and clean up its tables. */
interface Harness {
  store: Store;
  param(n: number): string;
  /** A random table spec (registered for cleanup) with columns id (key), seq, val, note (nullable). */
  table(overrides?: Partial<TableSpec>): TableSpec;
  /** Registers a table name for `DROP TABLE` at the end of the test. */
  track(name: string): string;
  /** Rows of a table ordered by the given columns, numbers normalised. */
  rows(table: string, columns: readonly string[], orderBy?: readonly string[]): Promise<Row[]>;
  /** `COUNT(*)` of a table as a number. */
  count(table: string): Promise<number>;
  /** Closes the store; cleanup then skips it. */
  close(): Promise<void>;
}

/** Runs a call that must fail (by rejecting or throwing) and returns its error; fails the test if it succeeds. */
async function rejection(call: () => Promise<unknown>): Promise<Error> {
  try {
    await call();
  } catch (error) {
    expect(error).toBeInstanceOf(Error);
    return error as Error;
  }
  throw new Error('expected the call to reject, but it resolved');
}

/** Every chunk of a stream, in order. */
async function chunksOf<R>(stream: AsyncIterable<R[]>): Promise<R[][]> {
  const chunks: R[][] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

/** Checks an error is a non-retriable Sluice error whose message names the given words. */
function expectClearError(error: Error, kind: abstract new (...args: never[]) => SluiceError, ...words: string[]): void {
  expect(error).toBeInstanceOf(kind);
  expect((error as SluiceError).retriable).toBe(false);
  for (const word of words) expect(error.message).toContain(word);
}

/** Turns every numeric-looking value of the given columns into a number (engines differ). */
function normalise(row: Row, numeric: ReadonlySet<string>): Row {
  const out: Row = {};
  for (const [name, value] of Object.entries(row)) {
    out[name] = numeric.has(name) && value !== null && value !== undefined ? Number(value) : value;
  }
  return out;
}

/** Result columns whose values are compared as numbers. */
const NUMERIC = new Set(['seq', 'val', 'n', 'total']);

/** Columns of the default test table. */
const COLUMNS: readonly ColumnSpec[] = [
  { name: 'id', type: 'text' },
  { name: 'seq', type: 'integer' },
  { name: 'val', type: 'real' },
  { name: 'note', type: 'text', nullable: true },
];

/** Sample rows of the default table: id `k<i>`, seq i, val i + 0.5 (exact in float4). */
function sampleRows(count: number, from = 0, note: string | null = null): Row[] {
  return Array.from({ length: count }, (_, i) => ({ id: `k${from + i}`, seq: from + i, val: from + i + 0.5, note }));
}

/** A dead letter with everything filled in, distinguishable by `n`. */
function deadLetter(origin: string, n: number): DeadLetter {
  return {
    origin,
    position: { offset: 100 * n, line: n, index: n - 1 },
    key: `bad:${n}`,
    reason: `val: expected number, received string (#${n})`,
    payload: JSON.stringify({ id: `bad:${n}`, val: 'oops', quote: `it's "quoted"` }),
    at: 1_700_000_000_000 + n,
  };
}

/** Runs one test body against a fresh store, then drops its tables and closes the store. */
function harnessed(options: StoreContractOptions, body: (h: Harness) => Promise<void>): () => Promise<void> {
  return async () => {
    const store = await options.create();
    const tables: string[] = [];
    let open = true;
    const h: Harness = {
      store,
      param: options.param,
      track(name) {
        tables.push(name);
        return name;
      },
      table(overrides = {}) {
        return { name: h.track(randomName('t')), columns: COLUMNS, key: ['id'], ...overrides };
      },
      async rows(table, columns, orderBy = columns) {
        const list = columns.map(quoteIdentifier).join(', ');
        const order = orderBy.map(quoteIdentifier).join(', ');
        const rows = await store.query(`SELECT ${list} FROM ${quoteIdentifier(table)} ORDER BY ${order}`);
        return rows.map((row) => normalise(row, NUMERIC));
      },
      async count(table) {
        const [row] = await store.query<{ n: unknown }>(`SELECT COUNT(*) AS n FROM ${quoteIdentifier(table)}`);
        return Number(row?.n);
      },
      async close() {
        open = false;
        await store.close();
      },
    };
    let failure: unknown;
    try {
      await body(h);
    } catch (error) {
      failure = error;
    }
    if (open) {
      try {
        for (const name of tables) await store.query(`DROP TABLE IF EXISTS ${quoteIdentifier(name)}`);
        await store.close();
      } catch (error) {
        failure ??= error;
      }
    }
    if (failure !== undefined) throw failure;
  };
}

/**
 * Registers the store contract's tests with vitest's `it` (call it inside a `describe`, after
 * skipping when the engine is unreachable).
 */
export function storeContract(it: TestAPI, options: StoreContractOptions): void {
  const test = (name: string, body: (h: Harness) => Promise<void>) => it(name, harnessed(options, body));

  test('migrate is idempotent: migrating the same tables again keeps them and their rows', async (h) => {
    const spec = h.table();
    await h.store.migrate([spec]);
    await h.store.write({ table: spec.name, rows: sampleRows(3) });
    await h.store.migrate([spec]);
    await h.store.migrate([spec, spec]);
    expect(await h.count(spec.name)).toBe(3);
  });

  test('merge: writing the same batch twice leaves the same rows', async (h) => {
    const spec = h.table();
    await h.store.migrate([spec]);
    const batch: WriteBatch = { table: spec.name, rows: sampleRows(50, 0, 'n') };
    expect(await h.store.write(batch)).toEqual({ written: 50, deadLetters: 0 });
    const first = await h.rows(spec.name, ['id', 'seq', 'val', 'note']);
    expect(await h.store.write(batch)).toEqual({ written: 50, deadLetters: 0 });
    expect(await h.rows(spec.name, ['id', 'seq', 'val', 'note'])).toEqual(first);
    expect(first).toHaveLength(50);
    expect(first.find((row) => row.id === 'k7')).toEqual({ id: 'k7', seq: 7, val: 7.5, note: 'n' });
  });

  test('merge: rewriting keys with changed values updates them and keeps the others', async (h) => {
    const spec = h.table();
    await h.store.migrate([spec]);
    await h.store.write({ table: spec.name, rows: sampleRows(4, 0, 'old') });
    await h.store.write({ table: spec.name, rows: [{ id: 'k1', seq: 10, val: -2.25, note: null }, ...sampleRows(1, 4)] });
    expect(await h.rows(spec.name, ['id', 'seq', 'val', 'note'])).toEqual([
      { id: 'k0', seq: 0, val: 0.5, note: 'old' },
      { id: 'k1', seq: 10, val: -2.25, note: null },
      { id: 'k2', seq: 2, val: 2.5, note: 'old' },
      { id: 'k3', seq: 3, val: 3.5, note: 'old' },
      { id: 'k4', seq: 4, val: 4.5, note: null },
    ]);
  });

  test('merge: equal keys within one batch become one row, the last one wins', async (h) => {
    const spec = h.table();
    await h.store.migrate([spec]);
    const rows = [
      { id: 'a', seq: 1, val: 1.5, note: 'first' },
      { id: 'b', seq: 2, val: 2.5, note: null },
      { id: 'a', seq: 3, val: 3.5, note: 'last' },
    ];
    expect(await h.store.write({ table: spec.name, rows })).toEqual({ written: 2, deadLetters: 0 });
    expect(await h.rows(spec.name, ['id', 'seq', 'val', 'note'])).toEqual([
      { id: 'a', seq: 3, val: 3.5, note: 'last' },
      { id: 'b', seq: 2, val: 2.5, note: null },
    ]);
  });

  test('merge: composite keys identify rows by all their columns', async (h) => {
    const spec = h.table({
      columns: [
        { name: 'machine', type: 'text' },
        { name: 'seq', type: 'integer' },
        { name: 'val', type: 'real' },
      ],
      key: ['machine', 'seq'],
    });
    await h.store.migrate([spec]);
    const row = (machine: string, seq: number, val: number) => ({ machine, seq, val });
    await h.store.write({ table: spec.name, rows: [row('m1', 1, 1), row('m1', 2, 2), row('m2', 1, 3)] });
    await h.store.write({ table: spec.name, rows: [row('m1', 2, 20), row('m2', 2, 4), row('m2', 2, 5)] });
    expect(await h.rows(spec.name, ['machine', 'seq', 'val'])).toEqual([
      row('m1', 1, 1),
      row('m1', 2, 20),
      row('m2', 1, 3),
      row('m2', 2, 5),
    ]);
  });

  test('append: inserts new rows (table default or per batch) and refuses an existing key atomically', async (h) => {
    const spec = h.table({ mode: 'append' });
    const merged = h.table();
    await h.store.migrate([spec, merged]);
    expect(await h.store.write({ table: spec.name, rows: sampleRows(10) })).toEqual({ written: 10, deadLetters: 0 });
    expect(await h.store.write({ table: merged.name, rows: sampleRows(5), mode: 'append' })).toEqual({
      written: 5,
      deadLetters: 0,
    });
    expect(await h.count(spec.name)).toBe(10);
    expect(await h.count(merged.name)).toBe(5);
    const error = await rejection(() => h.store.write({ table: spec.name, rows: [...sampleRows(2, 100), ...sampleRows(1, 3)] }));
    expectClearError(error, SluiceError, spec.name);
    expect(await h.count(spec.name)).toBe(10);
  });

  test('values: text, integer, real, null and JSON round trip', async (h) => {
    const spec = h.table({ columns: [...COLUMNS, { name: 'doc', type: 'json', nullable: true }] });
    await h.store.migrate([spec]);
    const doc = { a: 1, list: [1, 'two', null], nested: { ok: true } };
    const text = `quote ' double " unicode é ✓ newline\n`;
    await h.store.write({
      table: spec.name,
      rows: [
        { id: 'x', seq: -42, val: 1.25, note: text, doc },
        { id: 'y', seq: 2_000_000_000, val: 0, note: null, doc: null },
      ],
    });
    const rows = await h.rows(spec.name, ['id', 'seq', 'val', 'note', 'doc']);
    const parsed = rows.map((row) => ({ ...row, doc: typeof row.doc === 'string' ? JSON.parse(row.doc) : row.doc }));
    expect(parsed).toEqual([
      { id: 'x', seq: -42, val: 1.25, note: text, doc },
      { id: 'y', seq: 2_000_000_000, val: 0, note: null, doc: null },
    ]);
  });

  test('checkpoints: written with a batch, read back, moved by a later batch', async (h) => {
    const spec = h.table();
    const stream = randomName('stream');
    await h.store.migrate([spec]);
    expect(await h.store.readCheckpoint(stream)).toBeUndefined();
    await h.store.write({ table: spec.name, rows: sampleRows(2), checkpoint: { stream, position: { offset: 120, line: 2 } } });
    expect(await h.store.readCheckpoint(stream)).toEqual({ offset: 120, line: 2 });
    await h.store.write({
      table: spec.name,
      rows: sampleRows(2, 2),
      checkpoint: { stream, position: { offset: 300, line: 4, index: 3, cursor: 'c"4' } },
    });
    expect(await h.store.readCheckpoint(stream)).toEqual({ offset: 300, line: 4, index: 3, cursor: 'c"4' });
    expect(await h.store.readCheckpoint(randomName('stream'))).toBeUndefined();
  });

  test('checkpoints: a batch carries several; readCheckpoints reads them by name or by literal prefix', async (h) => {
    const spec = h.table();
    const p = randomName('unit');
    await h.store.migrate([spec]);
    // `%` and `_` are plain characters of a prefix: `${p}a_b/` must not match `${p}aXb/…`.
    const [one, two, three, other] = [`${p}a_b/1`, `${p}a_b/2`, `${p}a_b/3`, `${p}aXb/4`];
    await h.store.write({
      table: spec.name,
      rows: sampleRows(2),
      checkpoint: { stream: one, position: { index: 1 } },
      checkpoints: [
        { stream: two, position: { index: 2, cursor: '{"f":"x"}' } },
        { stream: other, position: { index: 4 } },
      ],
    });
    await h.store.write({ rows: [], checkpoints: [{ stream: three, position: { line: 3 } }] });
    expect(await h.store.readCheckpoint(two)).toEqual({ index: 2, cursor: '{"f":"x"}' });
    expect(await h.store.readCheckpoints({ prefix: `${p}a_b/` })).toEqual(
      new Map([
        [one, { index: 1 }],
        [two, { index: 2, cursor: '{"f":"x"}' }],
        [three, { line: 3 }],
      ]),
    );
    expect(await h.store.readCheckpoints({ prefix: `${p}a%` })).toEqual(new Map());
    expect(await h.store.readCheckpoints([other, one, randomName('stream'), one])).toEqual(
      new Map([
        [other, { index: 4 }],
        [one, { index: 1 }],
      ]),
    );
    expect(await h.store.readCheckpoints([])).toEqual(new Map());
    // A later batch moves one of them and leaves the others.
    await h.store.write({ table: spec.name, rows: sampleRows(1, 2), checkpoints: [{ stream: one, position: { index: 9 } }] });
    expect((await h.store.readCheckpoints({ prefix: `${p}a_b/` })).get(one)).toEqual({ index: 9 });
    expect(await h.store.readCheckpoint(two)).toEqual({ index: 2, cursor: '{"f":"x"}' });
    const bad = await rejection(() => h.store.readCheckpoints({ prefix: 7 } as never));
    expectClearError(bad, SluiceError, 'prefix');
  });

  test('checkpoints: a stream given twice in one batch is refused and nothing of the batch is written', async (h) => {
    const spec = h.table();
    const stream = randomName('stream');
    await h.store.migrate([spec]);
    const error = await rejection(() =>
      h.store.write({
        table: spec.name,
        rows: sampleRows(2),
        checkpoint: { stream, position: { index: 1 } },
        checkpoints: [{ stream, position: { index: 2 } }],
      }),
    );
    expectClearError(error, SluiceError, stream);
    expect(await h.count(spec.name)).toBe(0);
    expect(await h.store.readCheckpoint(stream)).toBeUndefined();
  });

  test('replace: the rows of the values named go, in the transaction that writes their successors', async (h) => {
    const spec = h.table();
    const stream = randomName('stream');
    await h.store.migrate([spec]);
    // Two "files": notes a and b; c is left alone.
    await h.store.write({ table: spec.name, rows: [...sampleRows(3, 0, 'a'), ...sampleRows(2, 3, 'b'), ...sampleRows(1, 5, 'c')] });
    // File a again, fewer rows, appended under keys it had before: the delete must run first.
    await h.store.write({
      table: spec.name,
      mode: 'append',
      rows: sampleRows(2, 0, 'a'),
      replace: { column: 'note', in: ['a'] },
      checkpoint: { stream, position: { index: 2 } },
    });
    expect((await h.rows(spec.name, ['id', 'note'])).map((r) => `${r.id}:${r.note}`)).toEqual(['k0:a', 'k1:a', 'k3:b', 'k4:b', 'k5:c']);
    // Replaced by nothing: rows may be empty. Values are those of the column's type.
    expect(await h.store.write({ table: spec.name, rows: [], replace: { column: 'seq', in: [3, 4, 40] } })).toEqual({ written: 0, deadLetters: 0 });
    expect((await h.rows(spec.name, ['id'])).map((r) => r.id)).toEqual(['k0', 'k1', 'k5']);
    // A failing batch takes its replace back with it.
    const failing = await rejection(() =>
      h.store.write({
        table: spec.name,
        rows: [{ id: 'k7', seq: null, val: 1, note: 'c' }],
        replace: { column: 'note', in: ['c', 'a'] },
        checkpoint: { stream, position: { index: 99 } },
      }),
    );
    expectClearError(failing, SluiceError, spec.name);
    expect((await h.rows(spec.name, ['id'])).map((r) => r.id)).toEqual(['k0', 'k1', 'k5']);
    expect(await h.store.readCheckpoint(stream)).toEqual({ index: 2 });
  });

  test('replace: an unknown or json column, a value of the wrong type, or no table is refused before anything runs', async (h) => {
    const spec = h.table({ columns: [...COLUMNS, { name: 'doc', type: 'json', nullable: true }] });
    await h.store.migrate([spec]);
    await h.store.write({ table: spec.name, rows: sampleRows(2, 0, 'a') });
    const cases: [WriteBatch, string][] = [
      [{ table: spec.name, rows: [], replace: { column: 'colour', in: ['a'] } }, 'colour'],
      [{ table: spec.name, rows: [], replace: { column: 'doc', in: ['{}'] } }, 'json'],
      [{ table: spec.name, rows: [], replace: { column: 'seq', in: ['not a number'] } }, 'seq'],
      [{ table: spec.name, rows: [], replace: { column: 'note', in: [null] } }, 'replace.in[0]'],
      [{ rows: [], replace: { column: 'note', in: ['a'] } }, 'table'],
    ];
    for (const [batch, word] of cases) {
      const error = await rejection(() => h.store.write(batch));
      expectClearError(error, SluiceError, word);
    }
    expect(await h.count(spec.name)).toBe(2);
  });

  test('unique: a row repeating the values of a unique list is refused with its whole batch', async (h) => {
    const spec = h.table({ unique: [['seq'], ['note', 'val']] });
    await h.store.migrate([spec]);
    await h.store.migrate([spec]);
    await h.store.write({ table: spec.name, rows: sampleRows(3, 0, 'n') });
    // The same rows merged again update themselves: no conflict with their own values.
    await h.store.write({ table: spec.name, rows: sampleRows(3, 0, 'n') });
    for (const rows of [[...sampleRows(1, 5), { id: 'other', seq: 1, val: 99.5, note: null }], [{ id: 'x', seq: 50, val: 2.5, note: 'n' }]]) {
      const error = await rejection(() => h.store.write({ table: spec.name, rows }));
      expectClearError(error, SluiceError, spec.name);
    }
    expect(await h.count(spec.name)).toBe(3);
    // NULLs are distinct: rows without a note share no value of (note, val).
    await h.store.write({ table: spec.name, rows: [{ id: 'y', seq: 60, val: 2.5, note: null }, { id: 'z', seq: 61, val: 2.5, note: null }] });
    expect(await h.count(spec.name)).toBe(5);
  });

  for (const check of ['row', 'statement'] as const) {
    test(`foreign keys (${check}): orphans refused, NULL references nothing, referenced rows kept; dropped with the spec`, async (h) => {
      // The referencing table is tracked first, so it is dropped first.
      const child = h.table({
        columns: [{ name: 'id', type: 'text' }, { name: 'parent_id', type: 'integer', nullable: true }, { name: 'seq', type: 'integer' }],
        key: ['id'],
      });
      const parent = h.table({ columns: [{ name: 'name', type: 'text' }, { name: 'id', type: 'integer' }], key: ['name'], unique: [['id']] });
      const fk = { columns: ['parent_id'], references: { table: parent.name, columns: ['id'] }, check };
      const withKey = { ...child, foreignKeys: [fk] };
      await h.store.migrate([withKey, parent]);
      await h.store.migrate([parent, withKey]);
      await h.store.write({ table: parent.name, rows: [{ name: 'a', id: 1 }, { name: 'b', id: 2 }, { name: 'c', id: 3 }] });
      await h.store.write({ table: child.name, rows: [{ id: 'x', parent_id: 1, seq: 1 }, { id: 'y', parent_id: null, seq: 2 }] });
      // An orphan fails its whole batch, in either write mode.
      for (const mode of ['merge', 'append'] as const) {
        const orphan = await rejection(() =>
          h.store.write({ table: child.name, mode, rows: [{ id: 'z', parent_id: 2, seq: 3 }, { id: 'w', parent_id: 99, seq: 4 }] }),
        );
        expectClearError(orphan, SluiceError);
        expect(orphan.message).toMatch(/foreign key/i);
      }
      const orphanUpdate = await rejection(() => h.store.write({ table: child.name, rows: [{ id: 'x', parent_id: 98, seq: 1 }] }));
      expect(orphanUpdate.message).toMatch(/foreign key/i);
      expect((await h.rows(child.name, ['id', 'parent_id'])).map((r) => `${r.id}:${r.parent_id}`)).toEqual(['x:1', 'y:null']);
      // Referenced rows cannot go or change their id; others can; merging a referenced row again is fine.
      const p = h.param(1);
      await expect(h.store.query(`DELETE FROM ${quoteIdentifier(parent.name)} WHERE id = ${p}`, [1])).rejects.toThrow(/foreign key/i);
      await expect(h.store.query(`UPDATE ${quoteIdentifier(parent.name)} SET id = 7 WHERE id = ${p}`, [1])).rejects.toThrow(/foreign key/i);
      await h.store.query(`DELETE FROM ${quoteIdentifier(parent.name)} WHERE id = ${p}`, [3]);
      await h.store.write({ table: parent.name, rows: [{ name: 'a', id: 1 }] });
      await h.store.write({ table: child.name, mode: 'append', rows: [{ id: 'v', parent_id: 2, seq: 5 }] });
      expect(await h.count(parent.name)).toBe(2);
      // Migrated without the foreign key, the table takes orphans and the parent lets go.
      await h.store.migrate([parent, child]);
      await h.store.write({ table: child.name, rows: [{ id: 'u', parent_id: 99, seq: 6 }] });
      await h.store.query(`DELETE FROM ${quoteIdentifier(parent.name)} WHERE id = ${p}`, [1]);
      expect(await h.count(child.name)).toBe(4);
    });
  }

  test('foreign keys: a target outside the call, columns not unique there, another type or a cycle are refused', async (h) => {
    const parent = h.table({ columns: [{ name: 'name', type: 'text' }, { name: 'id', type: 'integer' }], key: ['name'] });
    const child = (references: { table: string; columns: string[] }, type: 'integer' | 'text' = 'integer') =>
      h.table({ columns: [{ name: 'id', type: 'text' }, { name: 'ref', type }], key: ['id'], foreignKeys: [{ columns: ['ref'], references }] });
    const cases: [TableSpec[], string][] = [
      [[child({ table: parent.name, columns: ['id'] })], 'not in this migrate call'],
      [[parent, child({ table: parent.name, columns: ['id'] })], 'neither its key nor one of its unique lists'],
      [[parent, child({ table: parent.name, columns: ['name'] })], 'give them one type'],
      [[parent, child({ table: parent.name, columns: ['name', 'id'] }, 'text')], 'as many column names'],
    ];
    const a = h.table({ columns: [{ name: 'id', type: 'text' }, { name: 'b', type: 'text' }], key: ['id'] });
    const b = h.table({ columns: [{ name: 'id', type: 'text' }, { name: 'a', type: 'text' }], key: ['id'] });
    cases.push([
      [
        { ...a, foreignKeys: [{ columns: ['b'], references: { table: b.name, columns: ['id'] } }] },
        { ...b, foreignKeys: [{ columns: ['a'], references: { table: a.name, columns: ['id'] } }] },
      ],
      'cycle',
    ]);
    for (const [specs, words] of cases) {
      const error = await rejection(() => h.store.migrate(specs));
      expectClearError(error, ConfigError, words);
    }
    // Nothing was made.
    await expect(h.store.query(`SELECT COUNT(*) AS n FROM ${quoteIdentifier(parent.name)}`)).rejects.toThrow();
  });

  test('atomicity: a failing batch moves neither rows nor checkpoint nor dead letters', async (h) => {
    const spec = h.table();
    const stream = randomName('stream');
    const origin = randomName('origin');
    await h.store.migrate([spec]);
    await h.store.write({ table: spec.name, rows: sampleRows(3, 0, 'kept'), checkpoint: { stream, position: { line: 3 } } });
    const before = await h.rows(spec.name, ['id', 'seq', 'val', 'note']);
    const failing: WriteBatch[] = [
      // A NULL in a non-nullable column, after valid rows that would otherwise land first.
      { table: spec.name, rows: [...sampleRows(5, 1, 'changed'), { id: 'k9', seq: null, val: 1, note: null }] },
      // A column the table does not have.
      { table: spec.name, rows: [...sampleRows(2, 0, 'changed'), { id: 'k8', seq: 8, val: 8, note: null, extra: 1 }] },
      // A key that is already stored, in append mode: only the engine can see this one.
      { table: spec.name, mode: 'append', rows: [...sampleRows(2, 10, 'new'), ...sampleRows(1, 0, 'dup')] },
    ];
    for (const batch of failing) {
      const error = await rejection(() =>
        h.store.write({ ...batch, deadLetters: [deadLetter(origin, 1)], checkpoint: { stream, position: { line: 99 } } }),
      );
      expectClearError(error, SluiceError, spec.name);
      expect(await h.rows(spec.name, ['id', 'seq', 'val', 'note'])).toEqual(before);
      expect(await h.store.readCheckpoint(stream)).toEqual({ line: 3 });
      expect(await h.store.readDeadLetters(origin)).toEqual([]);
    }
    // The store is still usable after the failures.
    await h.store.write({ table: spec.name, rows: sampleRows(1, 3), checkpoint: { stream, position: { line: 4 } } });
    expect(await h.count(spec.name)).toBe(4);
    expect(await h.store.readCheckpoint(stream)).toEqual({ line: 4 });
  });

  test('unknown columns are refused with a StoreError naming table and column', async (h) => {
    const spec = h.table();
    await h.store.migrate([spec]);
    const error = await rejection(() => h.store.write({ table: spec.name, rows: [{ ...sampleRows(1)[0], colour: 'red' }] }));
    expectClearError(error, StoreError, spec.name, 'colour');
    expect(await h.count(spec.name)).toBe(0);
  });

  test('dead letters: written with a batch and with zero rows, read back in order, filtered by origin', async (h) => {
    const spec = h.table();
    const origin = randomName('origin');
    const other = randomName('origin');
    await h.store.migrate([spec]);
    const withRows = await h.store.write({
      table: spec.name,
      rows: sampleRows(2),
      deadLetters: [deadLetter(origin, 1), deadLetter(other, 2)],
    });
    expect(withRows).toEqual({ written: 2, deadLetters: 2 });
    const bare: DeadLetter = { origin, reason: 'no position, no key', payload: '', at: 1_700_000_000_100 };
    // Zero rows of a table, then no table at all (a producer saving letters and its cursor).
    const zeroRows = await h.store.write({ table: spec.name, rows: [], deadLetters: [deadLetter(origin, 3)] });
    expect(zeroRows).toEqual({ written: 0, deadLetters: 1 });
    const noTable = await h.store.write({ rows: [], deadLetters: [bare], checkpoint: { stream: origin, position: { index: 7 } } });
    expect(noTable).toEqual({ written: 0, deadLetters: 1 });
    expect(await h.store.readDeadLetters(origin)).toEqual([deadLetter(origin, 1), deadLetter(origin, 3), bare]);
    expect(await h.store.readDeadLetters(other)).toEqual([deadLetter(other, 2)]);
    const all = (await h.store.readDeadLetters()).filter((d) => d.origin === origin || d.origin === other);
    expect(all).toEqual([deadLetter(origin, 1), deadLetter(other, 2), deadLetter(origin, 3), bare]);
    expect(await h.store.readCheckpoint(origin)).toEqual({ index: 7 });
    expect(await h.count(spec.name)).toBe(2);
  });

  test('dead letters: a batch of many keeps their order, however the store cuts it into statements', async (h) => {
    const origin = randomName('origin');
    // 700 = 512 + 128 + 32 + 16 + 8 + 4: a store writing in statements of powers of two must not let
    // a small one land first (SQLite's did: the vehicle-events corpus read lines 21, 22, then 3…).
    await h.store.migrate([h.table()]);
    const letters = Array.from({ length: 700 }, (_, i) => deadLetter(origin, i + 1));
    expect(await h.store.write({ rows: [], deadLetters: letters })).toEqual({ written: 0, deadLetters: 700 });
    const read = await h.store.readDeadLetters(origin);
    expect(read.map((l) => l.position)).toEqual(letters.map((l) => l.position));
  });

  test('dead letters: a base64 payload keeps its encoding, so bytes that are not text replay exactly', async (h) => {
    const origin = randomName('origin');
    const bytes = Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0xff, 0x00, 0x7d]); // {"a":<FF><NUL>}
    const exact: DeadLetter = { origin, reason: 'line 1 is not UTF-8', payload: bytes.toString('base64'), encoding: 'base64', at: 1_700_000_000_200 };
    const text: DeadLetter = { origin, reason: 'plain', payload: '{"a":1}', at: 1_700_000_000_300 };
    await h.store.write({ rows: [], deadLetters: [exact, text] });
    const [first, second] = await h.store.readDeadLetters(origin);
    expect(first).toEqual(exact);
    expect(Buffer.from(first!.payload, 'base64')).toEqual(bytes);
    expect(second).toEqual(text);
    expect(second!.encoding ?? 'utf8').toBe('utf8');
  });

  test('a batch without table may carry only dead letters and a checkpoint; rows without table are refused', async (h) => {
    const stream = randomName('stream');
    const origin = randomName('origin');
    expect(await h.store.write({ rows: [], checkpoint: { stream, position: { cursor: 'a' } } })).toEqual({
      written: 0,
      deadLetters: 0,
    });
    expect(await h.store.readCheckpoint(stream)).toEqual({ cursor: 'a' });
    const error = await rejection(() =>
      h.store.write({ rows: sampleRows(1), deadLetters: [deadLetter(origin, 1)], checkpoint: { stream, position: { cursor: 'b' } } }),
    );
    expectClearError(error, SluiceError);
    expect(await h.store.readCheckpoint(stream)).toEqual({ cursor: 'a' });
    expect(await h.store.readDeadLetters(origin)).toEqual([]);
  });

  test('query: positional parameters and aggregates', async (h) => {
    const spec = h.table();
    await h.store.migrate([spec]);
    await h.store.write({ table: spec.name, rows: sampleRows(10) });
    const t = quoteIdentifier(spec.name);
    const picked = await h.store.query(
      `SELECT id, seq FROM ${t} WHERE id = ${h.param(1)} OR seq >= ${h.param(2)} ORDER BY seq`,
      ['k2', 8],
    );
    expect(picked.map((row) => normalise(row, NUMERIC))).toEqual([
      { id: 'k2', seq: 2 },
      { id: 'k8', seq: 8 },
      { id: 'k9', seq: 9 },
    ]);
    const [sum] = await h.store.query(`SELECT COUNT(*) AS n, SUM(seq) AS total FROM ${t} WHERE val > ${h.param(1)}`, [4.5]);
    expect(normalise(sum!, NUMERIC)).toEqual({ n: 5, total: 35 });
    expect(await h.store.query(`SELECT id FROM ${t} WHERE id = ${h.param(1)}`, ['none'])).toEqual([]);
  });

  test('names that are not plain identifiers are refused and nothing is executed', async (h) => {
    const victim = h.table();
    await h.store.migrate([victim]);
    await h.store.write({ table: victim.name, rows: sampleRows(2) });
    const evil = `x"; DROP TABLE ${victim.name}; --`;
    const innocent = h.table();
    const badTable = { ...h.table(), name: evil };
    const badColumn = { ...h.table(), columns: [...innocent.columns, { name: evil, type: 'text' as const }] };
    for (const spec of [badTable, badColumn]) {
      const error = await rejection(() => h.store.migrate([innocent, spec]));
      expect(error).toBeInstanceOf(ConfigError);
      expect(error.message).toContain(evil);
    }
    // Validation comes first: the valid spec given alongside was not created either.
    expect(await rejection(() => h.store.query(`SELECT COUNT(*) AS n FROM ${quoteIdentifier(innocent.name)}`))).toBeInstanceOf(Error);
    const writes = [
      () => h.store.write({ table: evil, rows: sampleRows(1) }),
      () => h.store.write({ table: victim.name, rows: [{ ...sampleRows(1)[0], [evil]: 'x' }] }),
    ];
    for (const write of writes) expect(await rejection(write)).toBeInstanceOf(SluiceError);
    expect(await h.count(victim.name)).toBe(2);
  });

  test('writing to a table that was never migrated is a clear StoreError naming it', async (h) => {
    const name = h.track(randomName('t'));
    const error = await rejection(() => h.store.write({ table: name, rows: sampleRows(1) }));
    expectClearError(error, StoreError, name);
  });

  test('a 20,000-row batch is written in one call', async (h) => {
    const spec = h.table();
    await h.store.migrate([spec]);
    const rows = sampleRows(20_000, 0, 'bulk');
    expect(await h.store.write({ table: spec.name, rows })).toEqual({ written: 20_000, deadLetters: 0 });
    const [sum] = await h.store.query(`SELECT COUNT(*) AS n, SUM(seq) AS total FROM ${quoteIdentifier(spec.name)}`);
    expect(normalise(sum!, NUMERIC)).toEqual({ n: 20_000, total: (19_999 * 20_000) / 2 });
    expect(await h.store.write({ table: spec.name, rows })).toEqual({ written: 20_000, deadLetters: 0 });
    expect(await h.count(spec.name)).toBe(20_000);
  });

  test('prepare (where offered): a prepared batch lands as an unprepared one would, also when written twice', async (h) => {
    if (h.store.prepare === undefined) return;
    const spec = h.table();
    await h.store.migrate([spec]);
    const stream = randomName('s');
    const rows = [...sampleRows(3, 0, 'a'), { id: 'k1', seq: 10, val: 10.5, note: 'last' }];
    const batch: WriteBatch = { table: spec.name, rows, checkpoint: { stream, position: { line: 4 } } };
    h.store.prepare(batch);
    expect(await h.store.write(batch)).toEqual({ written: 3, deadLetters: 0 });
    expect(await h.store.write(batch)).toEqual({ written: 3, deadLetters: 0 });
    expect(await h.rows(spec.name, ['id', 'seq', 'val', 'note'])).toEqual([
      { id: 'k0', seq: 0, val: 0.5, note: 'a' },
      { id: 'k1', seq: 10, val: 10.5, note: 'last' },
      { id: 'k2', seq: 2, val: 2.5, note: 'a' },
    ]);
    expect(await h.store.readCheckpoint(stream)).toEqual({ line: 4 });
  });

  test('prepare (where offered): never throws; write refuses a batch it could not encode with the same error', async (h) => {
    const { prepare } = h.store;
    if (prepare === undefined) return;
    const spec = h.table();
    await h.store.migrate([spec]);
    const bad = (): WriteBatch => ({ table: spec.name, rows: [...sampleRows(2), { ...sampleRows(1, 2)[0], colour: 'red' }] });
    const unprepared = await rejection(() => h.store.write(bad()));
    const batch = bad();
    expect(() => prepare.call(h.store, batch)).not.toThrow();
    expect(() => prepare.call(h.store, { table: 'never_migrated', rows: sampleRows(1) })).not.toThrow();
    expect(() => prepare.call(h.store, null as unknown as WriteBatch)).not.toThrow();
    const prepared = await rejection(() => h.store.write(batch));
    expectClearError(prepared, StoreError, spec.name, 'colour');
    expect(prepared.message).toBe(unprepared.message);
    expect(await h.count(spec.name)).toBe(0);
  });

  test('stream: every row in the query\'s order, in chunks of at most chunkSize, parameters bound', async (h) => {
    const spec = h.table();
    await h.store.migrate([spec]);
    await h.store.write({ table: spec.name, rows: sampleRows(2500) });
    const t = quoteIdentifier(spec.name);
    const descending = `SELECT id, seq FROM ${t} WHERE seq >= ${h.param(1)} ORDER BY seq DESC`;
    const chunks = await chunksOf(h.store.stream(descending, [100], { chunkSize: 1000 }));
    expect(chunks.map((c) => c.length)).toEqual([1000, 1000, 400]);
    const seqs = chunks.flat().map((row) => Number(row.seq));
    expect(seqs).toEqual(Array.from({ length: 2400 }, (_, i) => 2499 - i));
    expect(chunks[0]![0]).toEqual({ id: 'k2499', seq: expect.anything() });
    // A result that fills its last chunk exactly ends without an empty chunk; the default is at most 1000 rows.
    const exact = await chunksOf(h.store.stream(`SELECT id FROM ${t} WHERE seq < ${h.param(1)} ORDER BY id`, [2000]));
    expect(exact.map((c) => c.length)).toEqual([1000, 1000]);
    expect(await chunksOf(h.store.stream(`SELECT id FROM ${t} WHERE id = ${h.param(1)}`, ['none']))).toEqual([]);
    const ones = await chunksOf(h.store.stream(`SELECT seq FROM ${t} WHERE seq < 3 ORDER BY seq`, [], { chunkSize: 1 }));
    expect(ones.map((c) => c.map((row) => Number(row.seq)))).toEqual([[0], [1], [2]]);
  });

  test('stream: leaving the loop early releases the cursor; writes, reads and later streams still work', async (h) => {
    const spec = h.table();
    await h.store.migrate([spec]);
    await h.store.write({ table: spec.name, rows: sampleRows(300) });
    const sql = `SELECT id, seq FROM ${quoteIdentifier(spec.name)} ORDER BY seq`;
    // More early exits than any pool has connections: each must give its connection back.
    for (let i = 0; i < 6; i++) {
      for await (const chunk of h.store.stream(sql, [], { chunkSize: 10 })) {
        expect(chunk).toHaveLength(10);
        break;
      }
    }
    const thrown = new Error('consumer failed');
    const error = await rejection(async () => {
      for await (const chunk of h.store.stream(sql, [], { chunkSize: 10 })) if (chunk.length > 0) throw thrown;
    });
    expect(error).toBe(thrown);
    expect(await h.store.write({ table: spec.name, rows: sampleRows(10, 300) })).toEqual({ written: 10, deadLetters: 0 });
    expect(await h.count(spec.name)).toBe(310);
    const all = await chunksOf(h.store.stream(sql, [], { chunkSize: 100 }));
    expect(all.flat()).toHaveLength(310);
  });

  test('stream: writes made while a stream is open neither wait for it nor show in it', async (h) => {
    const spec = h.table();
    await h.store.migrate([spec]);
    await h.store.write({ table: spec.name, rows: sampleRows(50) });
    const iterator = h.store.stream(`SELECT id FROM ${quoteIdentifier(spec.name)} ORDER BY id`, [], { chunkSize: 20 })[Symbol.asyncIterator]();
    const first = await iterator.next();
    expect(first.done).toBe(false);
    expect(first.value).toHaveLength(20);
    expect(await h.store.write({ table: spec.name, rows: sampleRows(50, 50) })).toEqual({ written: 50, deadLetters: 0 });
    let seen = first.value.length as number;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) seen += next.value.length;
    expect(seen).toBe(50);
    expect(await h.count(spec.name)).toBe(100);
  });

  test('stream: bad SQL and a bad chunkSize reject with clear errors; the store stays usable', async (h) => {
    const spec = h.table();
    await h.store.migrate([spec]);
    await h.store.write({ table: spec.name, rows: sampleRows(5) });
    const t = quoteIdentifier(spec.name);
    const missing = randomName('missing');
    const noTable = await rejection(() => chunksOf(h.store.stream(`SELECT id FROM ${quoteIdentifier(missing)}`)));
    expectClearError(noTable, StoreError, missing);
    const syntax = await rejection(() => chunksOf(h.store.stream(`SELEC id FROM ${t}`)));
    expectClearError(syntax, StoreError, 'SELEC');
    for (const chunkSize of [0, -1, 1.5, Number.NaN]) {
      const error = await rejection(() => chunksOf(h.store.stream(`SELECT id FROM ${t}`, [], { chunkSize })));
      expectClearError(error, ConfigError, 'chunkSize');
    }
    // Nothing ran before iteration: a stream that is never iterated costs nothing and fails nothing.
    h.store.stream(`SELEC nothing`);
    expect((await chunksOf(h.store.stream(`SELECT id FROM ${t}`))).flat()).toHaveLength(5);
    expect(await h.store.write({ table: spec.name, rows: sampleRows(1, 5) })).toEqual({ written: 1, deadLetters: 0 });
  });

  test('readInKeyOrder: a table with a two-column key comes back whole, in key order, in bounded chunks', async (h) => {
    const spec = h.table({ key: ['id', 'seq'] });
    await h.store.migrate([spec]);
    // Few ids, many seqs each, written out of order: the chunks must cross id boundaries.
    const rows = Array.from({ length: 250 }, (_, i) => ({ id: `p${(i * 7) % 5}`, seq: (i * 37) % 250, val: i + 0.5, note: null }));
    expect(await h.store.write({ table: spec.name, rows })).toEqual({ written: 250, deadLetters: 0 });
    const chunks = await chunksOf(readInKeyOrder(h.store, { table: spec.name, key: spec.key, columns: ['val'], chunkSize: 17, param: h.param }));
    expect(chunks.every((chunk) => chunk.length <= 17)).toBe(true);
    expect(chunks.length).toBe(Math.ceil(250 / 17));
    const read = chunks.flat().map((row) => normalise(row, NUMERIC));
    expect(read).toEqual(await h.rows(spec.name, ['id', 'seq', 'val'], ['id', 'seq']));
    expect(new Set(read.map((row) => `${String(row.id)}/${String(row.seq)}`)).size).toBe(250);
  });

  test('stream: close() with a stream left open resolves, and the stream then rejects', async (h) => {
    const sql = 'SELECT 1 AS n UNION ALL SELECT 2 UNION ALL SELECT 3';
    const iterator = h.store.stream(sql, [], { chunkSize: 1 })[Symbol.asyncIterator]();
    const first = await iterator.next();
    expect(first.done).toBe(false);
    expect(first.value).toHaveLength(1);
    await h.close();
    expect(await rejection(() => iterator.next())).toBeInstanceOf(SluiceError);
  });

  test('after close() every call rejects', async (h) => {
    const spec = h.table();
    await h.store.migrate([spec]);
    await h.store.query(`DROP TABLE ${quoteIdentifier(spec.name)}`);
    await h.close();
    const calls: (() => Promise<unknown>)[] = [
      () => h.store.migrate([spec]),
      () => h.store.write({ table: spec.name, rows: sampleRows(1) }),
      () => h.store.readCheckpoint('s'),
      () => h.store.readDeadLetters(),
      () => h.store.query('SELECT 1 AS n'),
      () => chunksOf(h.store.stream('SELECT 1 AS n')),
    ];
    for (const call of calls) expect(await rejection(call)).toBeInstanceOf(SluiceError);
  });
}
