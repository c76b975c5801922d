/** What only the SQLite store does: WAL, statement chunking, the queue, locks, migrations, values. */
import sqlite3 from 'sqlite3';
import { describe, expect, it } from 'vitest';
import { ConfigError, StoreError, type Row, type Store, type TableSpec } from '@sluice/core';
import { randomName } from '@sluice/core/testkit';
import { SqliteStoreError, createSqliteStore } from '../src/index.js';
import { tempDatabases } from './temp-dir.js';
import { typedSpec } from './typed-spec.js';

const nextFile = tempDatabases('sqlite');

const metrics = (name = randomName('t')): TableSpec => ({
  name,
  columns: [
    { name: 'id', type: 'text' },
    { name: 'val', type: 'real' },
  ],
  key: ['id'],
});

/** Runs `body` with a store on a fresh file, closing it afterwards. */
async function withStore(body: (store: Store, file: string) => Promise<void>, filename = nextFile()): Promise<void> {
  const store = createSqliteStore({ filename });
  try {
    await body(store, filename);
  } finally {
    await store.close();
  }
}

/** A second, raw connection to the same file, holding the write lock until released. */
async function holdWriteLock(file: string): Promise<{ release(): Promise<void> }> {
  const db = new sqlite3.Database(file);
  const run = (sql: string) => new Promise<void>((resolve, reject) => db.run(sql, (e) => (e ? reject(e) : resolve())));
  await run('BEGIN IMMEDIATE');
  return {
    async release() {
      await run('ROLLBACK');
      await new Promise<void>((resolve) => db.close(() => resolve()));
    },
  };
}

/** The error a call rejects with; fails the test if it resolves. */
async function failure(call: Promise<unknown>): Promise<Error> {
  return call.then(
    () => {
      throw new Error('expected the call to reject');
    },
    (error: Error) => error,
  );
}

describe('SQLite store', () => {
  it('puts file databases in WAL mode with synchronous=NORMAL', () =>
    withStore(async (store) => {
      expect(await store.query('PRAGMA journal_mode')).toEqual([{ journal_mode: 'wal' }]);
      expect(await store.query('PRAGMA synchronous')).toEqual([{ synchronous: 1 }]);
    }));

  it('works in memory with :memory:', () =>
    withStore(async (store) => {
      const spec = metrics();
      await store.migrate([spec]);
      await store.write({ table: spec.name, rows: [{ id: 'a', val: 1 }], checkpoint: { stream: 's', position: { line: 1 } } });
      expect(await store.query(`SELECT * FROM "${spec.name}"`)).toEqual([{ id: 'a', val: 1 }]);
      expect(await store.readCheckpoint('s')).toEqual({ line: 1 });
    }, ':memory:'));

  it('writes a batch that needs more bound variables than one statement may hold', () =>
    withStore(async (store) => {
      const columns = Array.from({ length: 200 }, (_, i) => ({ name: `c${i}`, type: 'integer' as const }));
      const spec: TableSpec = { name: randomName('wide'), columns: [{ name: 'id', type: 'integer' }, ...columns], key: ['id'] };
      await store.migrate([spec]);
      // 1 001 rows × 201 columns = 201 201 variables, six times SQLite's limit of 32 766.
      const rows = Array.from({ length: 1001 }, (_, id) => Object.fromEntries([['id', id], ...columns.map((c, i) => [c.name, id * i])]));
      expect(await store.write({ table: spec.name, rows })).toEqual({ written: 1001, deadLetters: 0 });
      const [sums] = await store.query(`SELECT COUNT(*) AS n, SUM(c199) AS s, MAX(c7) AS m FROM "${spec.name}"`);
      expect(sums).toEqual({ n: 1001, s: 199 * ((1000 * 1001) / 2), m: 7000 });
    }));

  it('serialises concurrent calls: every write lands whole, in call order', () =>
    withStore(async (store) => {
      const spec = metrics();
      await store.migrate([spec]);
      const calls = Array.from({ length: 30 }, (_, n) => [
        store.write({
          table: spec.name,
          rows: Array.from({ length: 300 }, (_, i) => ({ id: `k${i}`, val: n })),
          checkpoint: { stream: 'concurrent', position: { index: n } },
        }),
        store.query<{ n: number; lo: number; hi: number }>(`SELECT COUNT(*) AS n, MIN(val) AS lo, MAX(val) AS hi FROM "${spec.name}"`),
      ]);
      const results = await Promise.all(calls.flat());
      // Each read sees exactly the write queued before it, never half of one.
      calls.forEach((_, n) => expect(results[2 * n + 1]).toEqual([{ n: 300, lo: n, hi: n }]));
      expect(await store.readCheckpoint('concurrent')).toEqual({ index: 29 });
    }));

  it('reports a write lock held by another connection as a retriable SQLITE_BUSY error, and writes once it is free', async () => {
    const file = nextFile();
    const spec = metrics();
    const store = createSqliteStore({ filename: file, busyTimeoutMs: 50 });
    try {
      await store.migrate([spec]);
      const lock = await holdWriteLock(file);
      const error = await failure(store.write({ table: spec.name, rows: [{ id: 'a', val: 1 }] }));
      await lock.release();
      expect(error).toBeInstanceOf(SqliteStoreError);
      expect(error).toMatchObject({ retriable: true, code: 'SQLITE_BUSY', operation: 'write', table: spec.name });
      expect(error.message).toContain(spec.name);
      expect(await store.write({ table: spec.name, rows: [{ id: 'a', val: 1 }] })).toEqual({ written: 1, deadLetters: 0 });
    } finally {
      await store.close();
    }
  });

  it('reports a constraint violation as a non-retriable SQLITE_CONSTRAINT error naming the table', () =>
    withStore(async (store) => {
      const spec = metrics();
      await store.migrate([spec]);
      await store.write({ table: spec.name, rows: [{ id: 'a', val: 1 }] });
      const error = await failure(store.write({ table: spec.name, rows: [{ id: 'a', val: 2 }], mode: 'append' }));
      expect(error).toMatchObject({ retriable: false, code: 'SQLITE_CONSTRAINT', table: spec.name });
      expect(error.message).toMatch(/merge mode/);
    }));

  it('lets a second store on the same file write to tables the first one migrated', async () => {
    const file = nextFile();
    const spec = metrics();
    await withStore((store) => store.migrate([spec]), file);
    await withStore(async (store) => {
      await store.write({ table: spec.name, rows: [{ id: 'a', val: 1 }], checkpoint: { stream: 's', position: { offset: 9 } } });
    }, file);
    await withStore(async (store) => {
      expect(await store.query(`SELECT * FROM "${spec.name}"`)).toEqual([{ id: 'a', val: 1 }]);
      expect(await store.readCheckpoint('s')).toEqual({ offset: 9 });
    }, file);
  });

  it('lets a second store write without migrate, with the table as last migrated: added columns and write mode', async () => {
    const file = nextFile();
    const spec = metrics();
    const grown: TableSpec = { ...spec, columns: [...spec.columns, { name: 'unit', type: 'text', nullable: true }], mode: 'append' };
    await withStore(async (store) => {
      await store.migrate([spec]);
      await store.migrate([grown]);
    }, file);
    await withStore(async (store) => {
      expect(await store.write({ table: spec.name, rows: [{ id: 'a', val: 1, unit: 'bar' }] })).toEqual({ written: 1, deadLetters: 0 });
      // The recorded default mode is append: the same key again breaks the primary key.
      const error = await failure(store.write({ table: spec.name, rows: [{ id: 'a', val: 2 }] }));
      expect(error).toMatchObject({ code: 'SQLITE_CONSTRAINT', table: spec.name });
      await store.write({ table: spec.name, rows: [{ id: 'a', val: 3 }], mode: 'merge' });
      expect(await store.query(`SELECT * FROM "${spec.name}"`)).toEqual([{ id: 'a', val: 3, unit: null }]);
    }, file);
  });

  describe('migrations', () => {
    it('records each spec once and adds new nullable columns to existing rows', () =>
      withStore(async (store) => {
        const spec = metrics();
        await store.migrate([spec]);
        await store.migrate([spec]);
        await store.write({ table: spec.name, rows: [{ id: 'a', val: 1 }] });
        const grown: TableSpec = { ...spec, columns: [...spec.columns, { name: 'unit', type: 'text', nullable: true }] };
        await store.migrate([grown]);
        await store.migrate([grown]);
        await store.write({ table: spec.name, rows: [{ id: 'b', val: 2, unit: 'bar' }] });
        expect(await store.query(`SELECT * FROM "${spec.name}" ORDER BY id`)).toEqual([
          { id: 'a', val: 1, unit: null },
          { id: 'b', val: 2, unit: 'bar' },
        ]);
        const records = await store.query('SELECT name, checksum FROM sluice_migrations WHERE name = ? ORDER BY id', [spec.name]);
        expect(records).toHaveLength(2);
        expect(records[0]!.checksum).not.toBe(records[1]!.checksum);
      }));

    it('refuses a changed spec with a StoreError listing every difference, and changes nothing', () =>
      withStore(async (store) => {
        const spec: TableSpec = { ...metrics(), columns: [...metrics().columns, { name: 'gone', type: 'text' }] };
        await store.migrate([spec]);
        const changed: TableSpec = {
          name: spec.name,
          columns: [
            { name: 'id', type: 'text' },
            { name: 'val', type: 'integer' },
            { name: 'extra', type: 'text' },
          ],
          key: ['id', 'val'],
        };
        const error = await failure(store.migrate([changed]));
        expect(error).toBeInstanceOf(StoreError);
        for (const part of [
          'column "val" changes type from real to integer',
          'new column "extra" is NOT NULL',
          'NOT NULL column "gone" is missing from the spec',
          'the key changes from (id) to (id, val)',
        ]) {
          expect(error.message).toContain(part);
        }
        await store.write({ table: spec.name, rows: [{ id: 'a', val: 1.5, gone: 'still here' }] });
      }));

    it('keeps a nullable column left out of the spec, and adds it again without a second ADD COLUMN', () =>
      withStore(async (store) => {
        const spec: TableSpec = { ...metrics(), columns: [...metrics().columns, { name: 'unit', type: 'text', nullable: true }] };
        await store.migrate([spec]);
        await store.write({ table: spec.name, rows: [{ id: 'a', val: 1, unit: 'bar' }] });
        await store.migrate([{ ...spec, columns: spec.columns.filter((c) => c.name !== 'unit') }]);
        await store.write({ table: spec.name, rows: [{ id: 'b', val: 2 }] });
        await store.migrate([spec]);
        expect(await store.query(`SELECT * FROM "${spec.name}" ORDER BY id`)).toEqual([
          { id: 'a', val: 1, unit: 'bar' },
          { id: 'b', val: 2, unit: null },
        ]);
        expect(await store.query('SELECT COUNT(*) AS n FROM sluice_migrations WHERE name = ?', [spec.name])).toEqual([{ n: 1 }]);
      }));

    it('refuses to make a NOT NULL column nullable, which SQLite cannot do in place', () =>
      withStore(async (store) => {
        const spec = metrics();
        await store.migrate([spec]);
        const relaxed: TableSpec = { ...spec, columns: spec.columns.map((c) => (c.name === 'val' ? { ...c, nullable: true } : c)) };
        const error = await failure(store.migrate([relaxed]));
        expect(error).toBeInstanceOf(StoreError);
        expect(error.message).toContain('column "val" becomes nullable, but SQLite cannot drop NOT NULL from an existing column');
        const error2 = await failure(store.write({ table: spec.name, rows: [{ id: 'a', val: null }] }));
        expect(error2.message).toContain('column "val" is not nullable');
      }));

    it('refuses a table of the same name that Sluice did not create', () =>
      withStore(async (store) => {
        const spec = metrics();
        await store.query(`CREATE TABLE "${spec.name}" (anything TEXT)`);
        const error = await failure(store.migrate([spec]));
        expect(error).toBeInstanceOf(StoreError);
        expect(error.message).toContain(`table "${spec.name}": a table of that name exists but was not created by Sluice`);
      }));

    it('refuses invalid specs before executing anything', () =>
      withStore(async (store) => {
        const bad: Array<[TableSpec, RegExp]> = [
          [{ ...metrics(), name: 'sluice_checkpoints' }, /reserved/],
          [{ ...metrics(), columns: [{ name: 'id', type: 'uuid' as never }] }, /unknown type "uuid"/],
          [{ ...metrics(), columns: [{ name: 'id', type: 'text', nullable: true }] }, /cannot be nullable/],
          [{ ...metrics(), mode: 'upsert' as never }, /unknown write mode/],
        ];
        for (const [spec, message] of bad) {
          const error = await failure(store.migrate([metrics('never_created'), spec]));
          expect(error).toBeInstanceOf(ConfigError);
          expect(error.message).toMatch(message);
        }
        expect(await store.query("SELECT name FROM sqlite_schema WHERE name = 'never_created'")).toEqual([]);
      }));
  });

  describe('values', () => {
    const spec = typedSpec;

    it('stores booleans as 0/1, timestamps as epoch ms, bigints exactly and JSON as text', () =>
      withStore(async (store) => {
        await store.migrate([spec]);
        const big = 2n ** 62n + 1n;
        const rows: Row[] = [
          { id: big, flag: true, at: new Date(1_700_000_000_123), doc: { a: [1, 2] }, n: '42', x: 1n, s: 7 },
          { id: 1, flag: false, at: '2024-01-02T03:04:05.678Z', doc: 'text', n: null, x: null, s: null },
          { id: big, flag: false, at: 5, doc: [], n: -1, x: 0.25, s: 'last wins' },
        ];
        expect(await store.write({ table: 'typed', rows })).toEqual({ written: 2, deadLetters: 0 });
        expect(await store.query('SELECT CAST(id AS TEXT) AS id, flag, at, doc, n, x, s FROM typed ORDER BY id')).toEqual([
          { id: '1', flag: 0, at: Date.parse('2024-01-02T03:04:05.678Z'), doc: '"text"', n: null, x: null, s: null },
          { id: big.toString(), flag: 0, at: 5, doc: '[]', n: -1, x: 0.25, s: 'last wins' },
        ]);
        expect(await store.query('SELECT COUNT(*) AS n FROM typed WHERE id = ? AND flag = ?', [big, false])).toEqual([{ n: 1 }]);
      }));

    it('stores integers, timestamps and booleans as INTEGER values that keys and comparisons match', () =>
      withStore(async (store) => {
        await store.migrate([spec]);
        const rows = (flag: boolean): Row[] => [
          { id: 1, flag, at: 1_514_764_807_000, doc: {}, n: 2 ** 60 },
          { id: -0, flag: flag ? 1 : 0, at: '2018-01-01T00:00:08Z', doc: {}, n: Number.MAX_SAFE_INTEGER },
        ];
        await store.write({ table: 'typed', rows: rows(true) });
        await store.write({ table: 'typed', rows: rows(false) }); // an upsert on the same keys
        const sql = 'SELECT id, at, flag, n, typeof(id) AS ti, typeof(at) AS ta, typeof(flag) AS tf FROM typed WHERE at >= ? ORDER BY at';
        expect(await store.query(sql, [new Date(1_514_764_807_000)])).toEqual([
          { id: 1, at: 1_514_764_807_000, flag: 0, n: 2 ** 60, ti: 'integer', ta: 'integer', tf: 'integer' },
          { id: 0, at: 1_514_764_808_000, flag: 0, n: Number.MAX_SAFE_INTEGER, ti: 'integer', ta: 'integer', tf: 'integer' },
        ]);
      }));

    it('stores decimal text in a real column as the correctly rounded number, and refuses other text', () =>
      withStore(async (store) => {
        await store.migrate([spec]);
        // SQLite itself would turn the first text into 14.179545668184801 (one unit in the last place off).
        const texts = ['14.1795456681848', '-0.5', '2e3', '.25'];
        await store.write({ table: 'typed', rows: texts.map((x, i) => ({ id: i, flag: true, at: 0, doc: {}, x })) });
        expect(await store.query('SELECT x FROM typed ORDER BY id')).toEqual(texts.map((x) => ({ x: Number(x) })));
        for (const x of ['abc', ' 1', '0x10', 'Infinity', '']) {
          const error = await failure(store.write({ table: 'typed', rows: [{ id: 9, flag: true, at: 0, doc: {}, x }] }));
          expect(error.message).toContain('column "x" (real) expects a number (not NaN) or decimal text');
        }
      }));

    it('refuses values that do not fit their column with an error naming table, row and column', () =>
      withStore(async (store) => {
        await store.migrate([spec]);
        const base = { id: 1, flag: true, at: 0, doc: {} };
        const cases: Array<[Row, string]> = [
          [{ ...base, n: 1.5 }, 'column "n" (integer) expects an integer'],
          [{ ...base, n: 2n ** 64n }, 'column "n" (integer) expects an integer within 64 bits'],
          [{ ...base, x: Number.NaN }, 'column "x" (real) expects a number (not NaN)'],
          [{ ...base, s: { nested: true } }, 'column "s" (text) expects a string, got {"nested":true}'],
          [{ ...base, flag: 'yes' }, 'column "flag" (boolean) expects a boolean'],
          [{ ...base, at: 'not a date' }, 'column "at" (timestamp) expects a valid Date'],
          [{ ...base, doc: { big: 1n } }, 'column "doc" (json) expects a JSON-serialisable value'],
          [{ ...base, flag: null }, 'column "flag" is not nullable'],
        ];
        for (const [row, message] of cases) {
          const error = await failure(store.write({ table: 'typed', rows: [{ ...base, id: 0 }, row] }));
          expect(error).toBeInstanceOf(StoreError);
          expect(error.message).toContain('table "typed", row 1 (id=1)');
          expect(error.message).toContain(message);
        }
        expect(await store.query('SELECT COUNT(*) AS n FROM typed')).toEqual([{ n: 0 }]);
      }));
  });

  describe('errors', () => {
    it('refuses bad options with a ConfigError', () => {
      expect(() => createSqliteStore({ filename: 42 as never })).toThrow(ConfigError);
      expect(() => createSqliteStore({ filename: ':memory:', busyTimeoutMs: -1 })).toThrow(/busyTimeoutMs/);
    });

    it('reports a database that cannot be opened as a StoreError, and tries again on the next call', async () => {
      const store = createSqliteStore({ filename: '/nonexistent-dir/sluice/db.sqlite' });
      for (let i = 0; i < 2; i++) {
        const error = await failure(store.query('SELECT 1'));
        expect(error).toBeInstanceOf(SqliteStoreError);
        expect(error.message).toMatch(/SQLITE_CANTOPEN.*directory exists/);
      }
      await store.close();
    });

    it('says which query failed', () =>
      withStore(async (store) => {
        const error = await failure(store.query('SELECT nope FROM nowhere WHERE x = ?', [1]));
        expect(error).toBeInstanceOf(StoreError);
        expect(error.message).toContain('SELECT nope FROM nowhere');
        expect(error.message).toContain('no such table: nowhere');
      }));

    it('finishes calls queued before close() and rejects the ones after it', async () => {
      const store = createSqliteStore({ filename: nextFile() });
      const spec = metrics();
      const migrated = store.migrate([spec]);
      const written = store.write({ table: spec.name, rows: [{ id: 'a', val: 1 }] });
      const closed = store.close();
      const late = failure(store.query('SELECT 1'));
      await expect(migrated).resolves.toBeUndefined();
      await expect(written).resolves.toEqual({ written: 1, deadLetters: 0 });
      await closed;
      expect((await late).message).toMatch(/after close\(\)/);
      await store.close();
    });
  });
});
