/**
 * PostgreSQL-specific behaviour of the store, against the real server: COPY escaping through the
 * server, type round trips, concurrent and versioned migrations, lost backends, the pool bound.
 * Everything lives in a random schema that is dropped at the end.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { StoreError, sleep, type Store, type TableSpec } from '@sluice/core';
import { randomName, requireService, serviceUrls } from '@sluice/core/testkit';
import { createPgStore, PgStoreError, type PgStoreOptions } from '../src/index.js';
import { NASTY } from './copy-text.js';

const up = await requireService('PostgreSQL', serviceUrls.pg);

/** Polls `check` until it holds; fails after `attempts` tries (a bound for a broken test, not a timing assertion). */
async function until(check: () => Promise<boolean>, what: string, attempts = 200): Promise<void> {
  for (let i = 0; i < attempts; i++) {
    if (await check()) return;
    await sleep(25);
  }
  throw new Error(`gave up waiting until ${what}`);
}

/** Resolves with the error a promise rejects with, or fails if it resolves. */
async function rejectionOf(promise: Promise<unknown>): Promise<StoreError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(StoreError);
    return error as StoreError;
  }
  throw new Error('expected a rejection');
}

describe.skipIf(!up)('PostgreSQL store specifics', () => {
  const schema = randomName('sluice');
  const admin = new pg.Client({ connectionString: serviceUrls.pg });
  const stores: Store[] = [];
  const open = (options: Partial<PgStoreOptions> = {}): Store => {
    const store = createPgStore({ connectionString: serviceUrls.pg, schema, ...options });
    stores.push(store);
    return store;
  };
  /** A random table keyed on its first column. */
  const specOf = (prefix: string, columns: TableSpec['columns']): TableSpec => ({
    name: randomName(prefix),
    columns,
    key: [columns[0]!.name],
  });
  const metrics = () =>
    specOf('m', [
      { name: 'id', type: 'text' },
      { name: 'seq', type: 'integer' },
      { name: 'note', type: 'text', nullable: true },
    ]);
  const rows = (count: number, from = 0) => Array.from({ length: count }, (_, i) => ({ id: `k${from + i}`, seq: from + i }));
  const backends = async (app: string, waitingOnLock = false) =>
    (
      await admin.query<{ pid: number }>(
        `SELECT pid FROM pg_stat_activity WHERE application_name = $1${waitingOnLock ? " AND wait_event_type = 'Lock'" : ''}`,
        [app],
      )
    ).rows.map((r) => r.pid);
  /** A store with its own application name (to find its backends) and one migrated table. */
  const openMigrated = async (options: Partial<PgStoreOptions>) => {
    const app = randomName('app');
    const store = open({ applicationName: app, ...options });
    const spec = metrics();
    await store.migrate([spec]);
    return { app, store, spec };
  };
  /** Opens a transaction on another connection that holds an exclusive lock on the table. */
  const lockTable = async (table: string) => {
    const locker = new pg.Client({ connectionString: serviceUrls.pg });
    await locker.connect();
    await locker.query('BEGIN');
    await locker.query(`LOCK TABLE "${schema}"."${table}" IN ACCESS EXCLUSIVE MODE`);
    return async () => {
      await locker.query('ROLLBACK');
      await locker.end();
    };
  };

  beforeAll(async () => {
    await admin.connect();
  });

  afterAll(async () => {
    for (const store of stores) await store.close();
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
  });

  it('round trips nasty strings in text and jsonb columns through COPY, empty string distinct from NULL', async () => {
    const store = open();
    const spec = specOf('nasty', [
      { name: 'id', type: 'integer' },
      { name: 'body', type: 'text', nullable: true },
      { name: 'doc', type: 'json', nullable: true },
    ]);
    await store.migrate([spec]);
    const input = [
      ...NASTY.map((body, id) => ({ id, body, doc: { body, list: [body] } })),
      { id: 1000, body: null, doc: null },
    ];
    for (const mode of ['append', 'merge'] as const) {
      await store.write({ table: spec.name, rows: input, mode });
      const back = await store.query(`SELECT id, body, doc, body IS NULL AS is_null FROM "${spec.name}" ORDER BY id`);
      expect(back).toEqual(input.map((row) => ({ ...row, is_null: row.body === null })));
      await store.query(`TRUNCATE "${spec.name}"`);
    }
    const nul = await rejectionOf(store.write({ table: spec.name, rows: [{ id: 1, body: 'a\0b' }] }));
    expect(nul.message).toMatch(/row 0 .*column "body" contains a NUL character/);
  });

  it('round trips every column type: bigint, boolean, timestamps from Date, epoch ms and ISO strings', async () => {
    const store = open();
    const spec = specOf('types', [
      { name: 'id', type: 'bigint' },
      { name: 'n', type: 'integer' },
      { name: 'x', type: 'real' },
      { name: 'ok', type: 'boolean' },
      { name: 'at', type: 'timestamp' },
      { name: 'doc', type: 'json' },
    ]);
    await store.migrate([spec]);
    const ms = Date.UTC(2024, 1, 29, 12, 30, 45, 678);
    await store.write({
      table: spec.name,
      rows: [
        { id: 9223372036854775807n, n: 2147483647, x: 0.1, ok: true, at: new Date(ms), doc: 'a string' },
        { id: -5, n: -2147483648, x: -1e300, ok: false, at: ms, doc: [1, { b: null }] },
        { id: '7', n: 0, x: 5e-324, ok: true, at: '2024-02-29T12:30:45.123456Z', doc: 3.5 },
      ],
    });
    const back = await store.query(`SELECT id, n, x, ok, at, at::text AS at_text, doc FROM "${spec.name}" ORDER BY id`);
    expect(back).toEqual([
      { id: -5, n: -2147483648, x: -1e300, ok: false, at: new Date(ms), at_text: '2024-02-29 12:30:45.678+00', doc: [1, { b: null }] },
      { id: 7, n: 0, x: 5e-324, ok: true, at: new Date(Date.UTC(2024, 1, 29, 12, 30, 45, 123)), at_text: '2024-02-29 12:30:45.123456+00', doc: 3.5 },
      { id: 9223372036854775807n, n: 2147483647, x: 0.1, ok: true, at: new Date(ms), at_text: '2024-02-29 12:30:45.678+00', doc: 'a string' },
    ]);
    const bad = await rejectionOf(store.write({ table: spec.name, rows: [{ id: 1, n: 1, x: 1, ok: true, at: 'not a time', doc: 1 }] }));
    expect(bad.retriable).toBe(false);
    expect(bad.message).toContain(spec.name);
    expect(bad.message).toContain('not a time');
  });

  it('replace matches values of every non-json type as the rows hold them, nasty text included', async () => {
    const store = open();
    const spec = specOf('replace', [
      { name: 'id', type: 'integer' },
      { name: 'big', type: 'bigint' },
      { name: 'ok', type: 'boolean' },
      { name: 'at', type: 'timestamp' },
      { name: 'body', type: 'text' },
    ]);
    await store.migrate([spec]);
    const ms = Date.UTC(2024, 1, 29, 12, 30, 45, 678);
    const input = NASTY.map((body, id) => ({ id, big: 9223372036854775807n - BigInt(id), ok: id % 2 === 0, at: ms + id, body }));
    const left = async () => (await store.query<{ id: number }>(`SELECT id FROM "${spec.name}" ORDER BY id`)).map((r) => r.id);
    await store.write({ table: spec.name, rows: input });
    // Text with backslashes, tabs and newlines is matched as written, not as COPY escapes it.
    await store.write({ table: spec.name, rows: [], replace: { column: 'body', in: NASTY.slice(0, 10) } });
    expect(await left()).toEqual([10, 11, 12, 13, 14]);
    const big = (id: number) => 9223372036854775807n - BigInt(id);
    await store.write({ table: spec.name, rows: [], replace: { column: 'big', in: [big(10).toString(), big(11)] } });
    await store.write({ table: spec.name, rows: [], replace: { column: 'at', in: [new Date(ms + 12), new Date(ms + 99).toISOString()] } });
    expect(await left()).toEqual([13, 14]);
    await store.write({ table: spec.name, rows: [], replace: { column: 'ok', in: [true] } });
    expect(await left()).toEqual([13]);
    const nul = await rejectionOf(store.write({ table: spec.name, rows: [], replace: { column: 'body', in: ['a\0b'] } }));
    expect(nul.message).toMatch(/replace\.in\[0\] contains a NUL character/);
  });

  it('two stores migrating the same tables at once both succeed, and version 1 is recorded once', async () => {
    const specs = [metrics(), metrics()];
    const [a, b] = [open(), open()];
    await Promise.all([a.migrate(specs), b.migrate(specs), a.migrate(specs), b.migrate(specs)]);
    const recorded = await admin.query(
      `SELECT name, version, length(checksum) AS len FROM "${schema}".sluice_migrations WHERE name = ANY($1) ORDER BY name`,
      [specs.map((s) => s.name).sort()],
    );
    expect(recorded.rows).toEqual(specs.map((s) => s.name).sort().map((name) => ({ name, version: 1, len: 64 })));
    await a.write({ table: specs[0]!.name, rows: rows(3) });
    await b.write({ table: specs[0]!.name, rows: rows(3, 2) });
    expect(await a.query(`SELECT count(*) AS n FROM "${specs[0]!.name}"`)).toEqual([{ n: 5 }]);
  });

  it('a changed spec adds nullable columns as the next version; a key change fails and changes nothing', async () => {
    const store = open({ poolSize: 1 });
    const v1 = metrics();
    await store.migrate([v1]);
    await store.write({ table: v1.name, rows: rows(2) });
    const v2: TableSpec = { ...v1, columns: [...v1.columns, { name: 'unit', type: 'text', nullable: true }] };
    await store.migrate([v2]);
    await store.migrate([v2]);
    // The same connection merges again, now with the new column (a new staging table).
    await store.write({ table: v1.name, rows: [{ id: 'k1', seq: 10, unit: 'rpm' }, { id: 'k5', seq: 5, unit: null }] });
    expect(await store.query(`SELECT id, seq, note, unit FROM "${v1.name}" ORDER BY id`)).toEqual([
      { id: 'k0', seq: 0, note: null, unit: null },
      { id: 'k1', seq: 10, note: null, unit: 'rpm' },
      { id: 'k5', seq: 5, note: null, unit: null },
    ]);
    const history = await admin.query(
      `SELECT version, statements FROM "${schema}".sluice_migrations WHERE name = $1 ORDER BY version`,
      [v1.name],
    );
    expect(history.rows.map((r) => r.version)).toEqual([1, 2]);
    expect(history.rows[1].statements).toBe(`ALTER TABLE "${schema}"."${v1.name}" ADD COLUMN "unit" text`);

    const rekeyed: TableSpec = { ...v2, key: ['id', 'seq'] };
    const error = await rejectionOf(store.migrate([rekeyed]));
    expect(error).toBeInstanceOf(PgStoreError);
    expect(error.retriable).toBe(false);
    expect(error.message).toContain(`"${schema}"."${v1.name}"`);
    expect(error.message).toContain('the key changes from (id) to (id, seq)');
    const versions = await admin.query(`SELECT max(version) AS v FROM "${schema}".sluice_migrations WHERE name = $1`, [v1.name]);
    expect(versions.rows[0].v).toBe(2);
  });

  it('a second store writes without migrate, with the table as last recorded: added columns and write mode', async () => {
    const v1 = metrics();
    const v2: TableSpec = { ...v1, columns: [...v1.columns, { name: 'unit', type: 'text', nullable: true }], mode: 'append' };
    const first = open();
    await first.migrate([v1]);
    await first.migrate([v2]);
    const second = open();
    expect(await second.write({ table: v1.name, rows: [{ id: 'k0', seq: 0, unit: 'rpm' }] })).toEqual({ written: 1, deadLetters: 0 });
    // The recorded default mode is append: the same key again violates the primary key.
    const duplicate = await rejectionOf(second.write({ table: v1.name, rows: [{ id: 'k0', seq: 1 }] }));
    expect((duplicate as PgStoreError).sqlState).toBe('23505');
    // The spec is kept after the first load: the record is not read again.
    await admin.query(`DELETE FROM "${schema}".sluice_migrations WHERE name = $1`, [v1.name]);
    await second.write({ table: v1.name, rows: [{ id: 'k0', seq: 2 }], mode: 'merge' });
    expect(await second.query(`SELECT id, seq, note, unit FROM "${v1.name}"`)).toEqual([{ id: 'k0', seq: 2, note: null, unit: null }]);
  });

  it('a store reads records written before the write mode was kept, and refuses tables never migrated', async () => {
    const spec = metrics();
    await open().migrate([]); // the schema and the store's own tables
    await admin.query(`CREATE TABLE "${schema}"."${spec.name}" (id text PRIMARY KEY, seq integer NOT NULL, note text)`);
    const legacy = {
      columns: [
        { name: 'id', type: 'text', nullable: false },
        { name: 'note', type: 'text', nullable: true },
        { name: 'seq', type: 'integer', nullable: false },
      ],
      key: ['id'],
    };
    await admin.query(
      `INSERT INTO "${schema}".sluice_migrations (name, version, checksum, spec, statements) VALUES ($1, 1, 'old', $2, '')`,
      [spec.name, JSON.stringify(legacy)],
    );
    const store = open();
    await store.write({ table: spec.name, rows: rows(2) });
    await store.write({ table: spec.name, rows: [{ id: 'k1', seq: 5, note: 'merged' }] });
    expect(await store.query(`SELECT id, seq, note FROM "${spec.name}" ORDER BY id`)).toEqual([
      { id: 'k0', seq: 0, note: null },
      { id: 'k1', seq: 5, note: 'merged' },
    ]);
    const never = randomName('never');
    const error = await rejectionOf(store.write({ table: never, rows: rows(1) }));
    expect(error.retriable).toBe(false);
    expect(error.message).toContain(`table "${never}" was never migrated in schema "${schema}"`);
    expect(error.message).toContain('call migrate() with its spec first');
  });

  it('recreates a table that was dropped by hand, as the next version', async () => {
    const store = open();
    const spec = metrics();
    await store.migrate([spec]);
    await store.query(`DROP TABLE "${spec.name}"`);
    await store.migrate([spec]);
    await store.write({ table: spec.name, rows: rows(1) });
    const history = await admin.query(`SELECT version FROM "${schema}".sluice_migrations WHERE name = $1 ORDER BY version`, [spec.name]);
    expect(history.rows.map((r) => r.version)).toEqual([1, 2]);
  });

  it('a backend killed during a write rejects it with a retriable StoreError, and the next write succeeds', async () => {
    const { app, store, spec } = await openMigrated({ poolSize: 1 });
    const release = await lockTable(spec.name);
    const pending = rejectionOf(store.write({ table: spec.name, rows: rows(3), checkpoint: { stream: app, position: { line: 3 } } }));
    try {
      await until(async () => (await backends(app, true)).length === 1, 'the write waits on the lock');
      await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [app]);
      const error = await pending;
      expect(error.retriable).toBe(true);
      expect(error.operation).toBe('write');
      expect(error.table).toBe(spec.name);
      expect(error.message).toMatch(/retrying may succeed/);
    } finally {
      await release();
    }
    expect(await store.readCheckpoint(app)).toBeUndefined();
    expect(await store.write({ table: spec.name, rows: rows(3), checkpoint: { stream: app, position: { line: 3 } } })).toEqual({
      written: 3,
      deadLetters: 0,
    });
    expect(await store.readCheckpoint(app)).toEqual({ line: 3 });
  });

  it('idle connections killed by the server are reported to onPoolError, never crash, and are replaced', async () => {
    const errors: Error[] = [];
    const { app, store, spec } = await openMigrated({ poolSize: 2, onPoolError: (error) => errors.push(error) });
    await Promise.all([store.write({ table: spec.name, rows: rows(1) }), store.write({ table: spec.name, rows: rows(1, 1) })]);
    const killed = await backends(app);
    expect(killed.length).toBeGreaterThan(0);
    await admin.query('SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid', [killed]);
    await until(async () => errors.length === killed.length, 'the pool reports every killed idle client');
    expect(await store.write({ table: spec.name, rows: rows(2, 2) })).toEqual({ written: 2, deadLetters: 0 });
    expect(await store.query(`SELECT count(*) AS n FROM "${spec.name}"`)).toEqual([{ n: 4 }]);
  });

  it('the pool is bounded: writes beyond it wait for a connection instead of failing', async () => {
    const { app, store, spec } = await openMigrated({ poolSize: 2 });
    const release = await lockTable(spec.name);
    let writes: Promise<unknown>[] = [];
    try {
      writes = Array.from({ length: 6 }, (_, i) => store.write({ table: spec.name, rows: rows(10, i * 10) }));
      await until(async () => (await backends(app, true)).length === 2, 'two writes wait on the lock');
      expect(await backends(app)).toHaveLength(2);
    } finally {
      await release();
    }
    const results = await Promise.allSettled(writes);
    expect(results.map((r) => r.status)).toEqual(Array(6).fill('fulfilled'));
    expect(await store.query(`SELECT count(*) AS n FROM "${spec.name}"`)).toEqual([{ n: 60 }]);
    expect((await backends(app)).length).toBeLessThanOrEqual(2);
  });

  it('a statement timeout and a refused connection are retriable StoreErrors', async () => {
    const timed = open({ statementTimeoutMs: 50 });
    const timeout = await rejectionOf(timed.query('SELECT pg_sleep(5)'));
    expect(timeout.retriable).toBe(true);
    expect((timeout as PgStoreError).sqlState).toBe('57014');
    const nowhere = open({ connectionString: 'postgres://postgres@127.0.0.1:1/postgres' });
    const refused = await rejectionOf(nowhere.migrate([metrics()]));
    expect(refused.retriable).toBe(true);
    expect(refused.operation).toBe('migrate');
  });

  it('sends serverSettings to every connection, beside its own search_path and time zone', async () => {
    const tuned = open({ serverSettings: { work_mem: '7MB', max_parallel_workers_per_gather: 0, enable_seqscan: false } });
    const [row] = await tuned.query<{ w: string; p: string; s: string; z: string }>(
      "SELECT current_setting('work_mem') AS w, current_setting('max_parallel_workers_per_gather') AS p, current_setting('enable_seqscan') AS s, current_setting('TimeZone') AS z",
    );
    expect(row).toEqual({ w: '7MB', p: '0', s: 'off', z: 'UTC' });
    await tuned.migrate([metrics()]);
  });

  it('keeps its search_path and time zone when the URL brings its own options', async () => {
    const url = `${serviceUrls.pg}${serviceUrls.pg.includes('?') ? '&' : '?'}options=${encodeURIComponent('-c statement_timeout=4321 -c TimeZone=Asia/Tokyo')}`;
    const withOptions = createPgStore({ connectionString: url, schema, serverSettings: { work_mem: '5MB' } });
    stores.push(withOptions);
    const [row] = await withOptions.query<{ t: string; z: string; w: string; p: string }>(
      "SELECT current_setting('statement_timeout') AS t, current_setting('TimeZone') AS z, current_setting('work_mem') AS w, current_setting('search_path') AS p",
    );
    expect(row).toEqual({ t: '4321ms', z: 'UTC', w: '5MB', p: `"${schema}",public` });
  });

  it('reads no checkpoint and no dead letters from a schema that was never migrated', async () => {
    const fresh = open({ schema: randomName('fresh') });
    expect(await fresh.readCheckpoint('any')).toBeUndefined();
    expect(await fresh.readDeadLetters()).toEqual([]);
    const error = await rejectionOf(fresh.write({ rows: [], checkpoint: { stream: 's', position: { line: 1 } } }));
    expect(error.retriable).toBe(false);
    expect(error.message).toMatch(/run migrate\(\)/);
  });

  it('refuses bad options at once with a ConfigError naming the option', () => {
    expect(() => createPgStore({ connectionString: '' })).toThrow(/connectionString is required/);
    expect(() => createPgStore({ connectionString: serviceUrls.pg, poolSize: 0 })).toThrow(/poolSize/);
    expect(() => createPgStore({ connectionString: serviceUrls.pg, schema: 'a; drop' })).toThrow(/not a valid/);
    expect(() => createPgStore({ connectionString: serviceUrls.pg, serverSettings: { work_mem: '64MB -c fsync=off' } })).toThrow(/serverSettings\.work_mem/);
    expect(() => createPgStore({ connectionString: serviceUrls.pg, serverSettings: { 'a b': 1 } })).toThrow(/serverSettings/);
  });
});
