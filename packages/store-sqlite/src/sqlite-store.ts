/**
 * `createSqliteStore`: the embedded Store on one SQLite connection. Every call goes through one
 * promise queue (the connection is shared, so a read must never see another call's open
 * transaction); each batch is one `BEGIN IMMEDIATE … COMMIT` holding its rows, dead letters and
 * checkpoint, written with cached multi-row prepared statements.
 */
import {
  PreparedWrites,
  ConfigError,
  StoreError,
  assertIdentifier,
  assertTableSpecs,
  canonicalSpec,
  checkpointSelector,
  migrationOrder,
  type Position,
  type Row,
  type Store,
  type StreamOptions,
  type WriteBatch,
  type WriteResult,
} from '@sluice/core';
import { openConnection, type Connection, type Prepared } from './connection.js';
import { closedError, toStoreError } from './errors.js';
import { recordedSpec, migrateTable } from './migrate-table.js';
import {
  CHECKPOINT_SPEC,
  DEAD_LETTER_SPEC,
  OWN,
  OWN_TABLES_SQL,
  OWN_TABLES_UPGRADES,
  checkpointRow,
  deadLetterFromRecord,
  parsePosition,
  type DeadLetterRecord,
} from './own-tables.js';
import { createSerialQueue } from './serial.js';
import { chunkSizeOf, streamChunks, streamTableNames } from './stream.js';
import { batchTable, planBatch, type BatchPlan } from './batch-plan.js';
import { compileTable, planWrite, type Chunk, type CompiledTable } from './table-writer.js';
import { transaction } from './transaction.js';
import { queryParam } from './values.js';

/** Options of `createSqliteStore`. */
export interface SqliteStoreOptions {
  /** Database file (created if missing; its directory must exist), or `:memory:` for a private in-memory database. */
  filename: string;
  /**
   * How long a statement waits for another connection's lock before failing with a retriable
   * `StoreError` (`SQLITE_BUSY`), in milliseconds. Default 5000.
   */
  busyTimeoutMs?: number;
  /**
   * Page cache of the connection, in MiB (default 64). A table keyed by (parameter, time) that is
   * written in time order takes inserts at one place per parameter; once its b-tree's interior
   * pages outgrow the cache (SQLite's default is 2 MiB: about 5 M rows of such a table), every
   * insert reads pages back and the write rate falls as the table grows.
   */
  cacheMiB?: number;
  /**
   * WAL pages after which a commit checkpoints them into the database (default 10 000, about
   * 40 MiB with 4 KiB pages; SQLite's default is 1000). The hot pages of a bulk load are rewritten
   * by every batch; a longer WAL copies each into the database once per checkpoint instead of
   * many times. Files only.
   */
  walCheckpointPages?: number;
}

const DEFAULT_BUSY_TIMEOUT_MS = 5000;
const DEFAULT_CACHE_MIB = 64;
const DEFAULT_WAL_CHECKPOINT_PAGES = 10_000;

function isInMemory(filename: string): boolean {
  return filename === ':memory:' || filename === '' || filename.startsWith('file::memory:');
}

function checkOptions(options: SqliteStoreOptions): Required<SqliteStoreOptions> {
  if (typeof options?.filename !== 'string') {
    throw new ConfigError('createSqliteStore: `filename` must be a file path or ":memory:"', 'filename');
  }
  const busyTimeoutMs = options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
  if (!Number.isFinite(busyTimeoutMs) || busyTimeoutMs < 0) {
    throw new ConfigError(`createSqliteStore: \`busyTimeoutMs\` must be a number ≥ 0, got ${busyTimeoutMs}`, 'busyTimeoutMs');
  }
  const cacheMiB = options.cacheMiB ?? DEFAULT_CACHE_MIB;
  if (!Number.isInteger(cacheMiB) || cacheMiB < 1 || cacheMiB > 65_536) {
    throw new ConfigError(`createSqliteStore: \`cacheMiB\` must be an integer from 1 to 65536, got ${cacheMiB}`, 'cacheMiB');
  }
  const walCheckpointPages = options.walCheckpointPages ?? DEFAULT_WAL_CHECKPOINT_PAGES;
  if (!Number.isInteger(walCheckpointPages) || walCheckpointPages < 1) {
    throw new ConfigError(
      `createSqliteStore: \`walCheckpointPages\` must be a positive integer, got ${walCheckpointPages}`,
      'walCheckpointPages',
    );
  }
  return { filename: options.filename, busyTimeoutMs, cacheMiB, walCheckpointPages };
}

/** Opens the connection: WAL with synchronous=NORMAL for files, the page cache, and the store's own tables. */
async function open({ filename, busyTimeoutMs, cacheMiB, walCheckpointPages }: Required<SqliteStoreOptions>): Promise<Connection> {
  const db = await openConnection(filename, busyTimeoutMs);
  try {
    await db.run(`PRAGMA cache_size = ${-cacheMiB * 1024}`); // negative: KiB
    if (!isInMemory(filename)) {
      await db.all('PRAGMA journal_mode = WAL');
      await db.run('PRAGMA synchronous = NORMAL');
      await db.all(`PRAGMA wal_autocheckpoint = ${walCheckpointPages}`);
    }
    await db.exec(OWN_TABLES_SQL);
    for (const upgrade of OWN_TABLES_UPGRADES) {
      const columns = await db.all<{ name: string }>(`PRAGMA table_info(${upgrade.table})`);
      if (!columns.some((c) => c.name === upgrade.column)) await db.exec(upgrade.sql);
    }
    return db;
  } catch (error) {
    await db.close().catch(() => undefined);
    throw error;
  }
}

/**
 * Creates a Store on SQLite. The file is opened on the first call; for files the journal is WAL
 * with `synchronous=NORMAL` (a commit survives a process crash; a power loss may lose the last
 * commits but never corrupts the database). `timestamp` columns hold epoch milliseconds.
 */
export function createSqliteStore(options: SqliteStoreOptions): Store {
  const settings = checkOptions(options);
  const queue = createSerialQueue();
  const tables = new Map<string, CompiledTable>();
  /** Prepared statements by table, then SQL text. */
  const prepared = new Map<string, Map<string, Prepared>>();
  const checkpoints = compileTable(CHECKPOINT_SPEC);
  const deadLetters = compileTable(DEAD_LETTER_SPEC);
  let connection: Promise<Connection> | undefined;
  let closed = false;
  const streamTable = streamTableNames();

  function connect(): Promise<Connection> {
    connection ??= open(settings).catch((error: unknown) => {
      connection = undefined; // the next call tries again
      throw error;
    });
    return connection;
  }

  /** Queues one operation on the connection; failures become `StoreError`s. */
  function task<T>(operation: string, table: string | undefined, body: (db: Connection) => Promise<T>, sql?: string): Promise<T> {
    if (closed) return Promise.reject(closedError(operation));
    return queue.run(async () => {
      try {
        return await body(await connect());
      } catch (error) {
        throw toStoreError(error, operation, table, sql);
      }
    });
  }

  async function statement(db: Connection, chunk: Chunk): Promise<Prepared> {
    let byTable = prepared.get(chunk.table);
    if (byTable === undefined) prepared.set(chunk.table, (byTable = new Map()));
    let found = byTable.get(chunk.sql);
    if (found === undefined) {
      found = await db.prepare(chunk.sql);
      byTable.set(chunk.sql, found);
    }
    return found;
  }

  async function finalize(table: string): Promise<void> {
    const byTable = prepared.get(table);
    prepared.delete(table);
    for (const s of byTable?.values() ?? []) await s.finalize();
  }

  /** The compiled spec of a table: migrated by this store, or recorded by another one. */
  async function lookup(db: Connection, name: string): Promise<CompiledTable> {
    assertIdentifier(name);
    const known = tables.get(name);
    if (known !== undefined) return known;
    const recorded = await recordedSpec(db, name);
    if (recorded === undefined) {
      throw new StoreError(
        `write to table "${name}": the table was never migrated; call store.migrate([spec]) with its TableSpec first`,
        'write',
        name,
      );
    }
    const compiled = compileTable(recorded);
    tables.set(name, compiled);
    return compiled;
  }

  /** One run of a stream: checks its arguments when iteration starts, then yields its chunks. */
  async function* streamRun<R extends Row>(sql: string, params: readonly unknown[], options: StreamOptions | undefined): AsyncGenerator<R[]> {
    if (typeof sql !== 'string' || sql.trim() === '') throw new ConfigError('stream: give the query as a non-empty SQL string', 'sql');
    if (!Array.isArray(params)) throw new ConfigError('stream: params must be an array of values for the `?` placeholders', 'params');
    const chunkSize = chunkSizeOf(options);
    if (closed) throw closedError('stream');
    const run = <T>(body: (db: Connection) => Promise<T>, text?: string) => task('stream', undefined, body, text);
    yield* streamChunks<R>(run, streamTable, () => !closed, sql, params.map(queryParam), chunkSize);
  }

  /** Plans made by `prepare`, each used by the next `write` of the same batch object. */
  const ahead = new PreparedWrites<CompiledTable | undefined, BatchPlan>();

  /** The plan of a batch: the one `prepare` made, if its table has not been migrated since, else a new one. */
  async function planOf(db: Connection, batch: WriteBatch): Promise<BatchPlan> {
    const name = batchTable(batch);
    const table = name === undefined ? undefined : await lookup(db, name);
    return ahead.take(batch, table) ?? planBatch(batch, table, deadLetters);
  }

  async function write(db: Connection, batch: WriteBatch): Promise<WriteResult> {
    const plan = await planOf(db, batch);
    const now = Date.now();
    // Every row is checked and converted before the transaction starts.
    const chunks = [...plan.chunks, ...planWrite(checkpoints, plan.checkpoints.map((c) => checkpointRow(c, now)), 'merge')];
    if (chunks.length > 0 || plan.letters.length > 0 || plan.replace.length > 0) {
      await transaction(db, async () => {
        // The replaced rows go first, one statement after another: the rows may have their keys.
        for (const chunk of plan.replace) await (await statement(db, chunk)).run(chunk.params);
        // Every statement is prepared first (a run failing while this thread awaited a prepare
        // would be a rejection nothing handles yet). Then the rows' statements are bound and queued
        // at once: the driver binds on this thread and runs them on its pool, so binding chunk k + 1
        // overlaps running chunk k. Their order does not matter: a batch's rows have distinct keys
        // (merge de-duplicates, append refuses duplicates). The dead letters' order does (their ids
        // are the order they are read back in), and the pool may run a small statement before a
        // larger one queued earlier: each of theirs waits for the one before. Every run settles
        // before the commit or the rollback.
        const all = [...chunks, ...plan.letters];
        const statements: Prepared[] = [];
        for (const chunk of all) statements.push(await statement(db, chunk));
        const runs: Promise<unknown>[] = chunks.map((chunk, i) => statements[i]!.run(chunk.params));
        let previous: Promise<unknown> = Promise.resolve();
        for (let i = chunks.length; i < all.length; i++) {
          runs.push((previous = previous.then(() => statements[i]!.run(all[i]!.params))));
        }
        const failed = (await Promise.allSettled(runs)).find((r): r is PromiseRejectedResult => r.status === 'rejected');
        if (failed) throw failed.reason;
      });
    }
    return { written: plan.written, deadLetters: plan.deadLetters };
  }

  return {
    name: 'sqlite',

    migrate(specs) {
      return task('migrate', undefined, async (db) => {
        assertTableSpecs(specs);
        await transaction(db, async () => {
          // Referenced tables first: a foreign key's triggers read its target.
          for (const spec of migrationOrder(specs)) {
            try {
              await migrateTable(db, spec);
            } catch (error) {
              throw toStoreError(error, 'migrate', spec.name);
            }
          }
        });
        // Compiled from a canonical copy: later changes to the caller's spec objects change nothing.
        for (const spec of specs.map(canonicalSpec)) {
          tables.set(spec.name, compileTable(spec));
          await finalize(spec.name);
        }
      });
    },

    write(batch) {
      return task('write', batch?.table, (db) => write(db, batch));
    },

    prepare(batch) {
      // Only against a table this store already knows: reading a recorded spec needs the
      // connection, so a batch for any other table is planned by write. A batch that fails its
      // checks is left unplanned too, for write to refuse with its error.
      let name: string | undefined;
      try {
        name = batchTable(batch);
      } catch {
        return;
      }
      const table = name === undefined ? undefined : tables.get(name);
      if (closed || (name !== undefined && table === undefined)) return;
      ahead.prepare(batch, table, () => planBatch(batch, table, deadLetters));
    },

    readCheckpoint(stream) {
      return task('readCheckpoint', OWN.checkpoints, async (db): Promise<Position | undefined> => {
        const [row] = await db.all<{ position: string }>(`SELECT position FROM ${OWN.checkpoints} WHERE stream = ?`, [stream]);
        return row === undefined ? undefined : parsePosition(row.position, `checkpoint of stream "${stream}"`);
      });
    },

    readCheckpoints(which) {
      return task('readCheckpoints', OWN.checkpoints, async (db): Promise<Map<string, Position>> => {
        const selector = checkpointSelector(which);
        if (typeof selector === 'string') throw new ConfigError(selector, 'which');
        const rows =
          'prefix' in selector
            ? await db.all<{ stream: string; position: string }>(`SELECT stream, position FROM ${OWN.checkpoints} WHERE substr(stream, 1, length(?1)) = ?1`, [selector.prefix])
            : await db.all<{ stream: string; position: string }>(`SELECT stream, position FROM ${OWN.checkpoints} WHERE stream IN (SELECT value FROM json_each(?))`, [
                JSON.stringify(selector.streams),
              ]);
        return new Map(rows.map((row) => [row.stream, parsePosition(row.position, `checkpoint of stream "${row.stream}"`)]));
      });
    },

    readDeadLetters(origin) {
      return task('readDeadLetters', OWN.deadLetters, async (db) => {
        const where = origin === undefined ? '' : ' WHERE origin = ?';
        const records = await db.all<DeadLetterRecord>(
          `SELECT origin, position, key, reason, payload, at, encoding FROM ${OWN.deadLetters}${where} ORDER BY id`,
          origin === undefined ? [] : [origin],
        );
        return records.map(deadLetterFromRecord);
      });
    },

    query<R extends Row = Row>(sql: string, params: readonly unknown[] = []) {
      return task('query', undefined, (db) => db.all<R>(sql, params.map(queryParam)), sql);
    },

    stream<R extends Row = Row>(sql: string, params: readonly unknown[] = [], options?: StreamOptions): AsyncIterable<R[]> {
      return { [Symbol.asyncIterator]: () => streamRun<R>(sql, params, options) };
    },

    async close() {
      if (closed) return;
      closed = true;
      await queue.run(async () => {
        const db = await connection?.catch(() => undefined);
        if (db === undefined) return;
        try {
          for (const table of [...prepared.keys()]) await finalize(table);
          await db.close();
        } catch (error) {
          throw toStoreError(error, 'close');
        }
      });
    },
  };
}
