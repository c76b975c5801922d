/**
 * The PostgreSQL `Store`: COPY into a per-connection staging table then one
 * `INSERT … ON CONFLICT` for merges, COPY straight into the table for appends, dead letters and
 * the checkpoint in the same transaction, versioned migrations under an advisory lock.
 */
import {
  ConfigError,
  PreparedWrites,
  assertTableSpecs,
  checkpointSelector,
  specChecksum,
  type CheckpointSelector,
  type DeadLetter,
  type Position,
  type Row,
  type Store,
  type StreamOptions,
  type TableSpec,
  type WriteBatch,
  type WriteResult,
} from '@sluice/core';
import type { PoolClient } from 'pg';
import { compileTable, prepareBatch, type CompiledTable, type PreparedBatch } from './batch.js';
import {
  insertDeadLetters,
  readCheckpointSql,
  readCheckpointsSql,
  readDeadLettersSql,
  toDeadLetter,
  upsertCheckpointsSql,
  type DeadLetterRow,
} from './bookkeeping.js';
import { copyChunks, createPool, withTransaction, type TransactionHooks } from './connection.js';
import { INTERNAL_TABLES } from './ddl.js';
import { refusal, sqlStateOf, toStoreError, type FailureContext } from './errors.js';
import { latestMigration, migrateTables } from './migrations.js';
import { resolveOptions, type PgStoreOptions } from './options.js';
import { chunkSizeOf, cursorChunks, type StreamClients } from './stream.js';

/**
 * Creates a `Store` on PostgreSQL. Nothing connects until the first call; options are checked at
 * once (a bad option throws `ConfigError`).
 */
export function createPgStore(options: PgStoreOptions): Store {
  const settings = resolveOptions(options);
  const { schema } = settings;
  const pool = createPool(settings);
  const tables = new Map<string, CompiledTable>();
  /** Staging tables that exist in each connection's session (added only after a commit). */
  const staged = new WeakMap<PoolClient, Set<string>>();
  const stagingNames = new Map<string, string>();
  /** Batches encoded ahead by `prepare`. */
  const ahead = new PreparedWrites<CompiledTable | undefined, PreparedBatch>();
  let closed = false;
  /** Connections held by open streams. */
  const streamClients: StreamClients = new Set();

  const stagingName = (table: string, checksum: string): string => {
    const id = `${table}:${checksum}`;
    let name = stagingNames.get(id);
    if (name === undefined) {
      name = `sluice_stage_${stagingNames.size + 1}`;
      stagingNames.set(id, name);
    }
    return name;
  };

  function assertOpen(context: FailureContext): void {
    if (closed) throw refusal(context, 'the store is closed; create a new store to go on');
  }

  /** Runs an operation on the open store, turning every failure into a `StoreError`. */
  async function run<T>(context: FailureContext, fn: () => Promise<T>): Promise<T> {
    assertOpen(context);
    try {
      return await fn();
    } catch (error) {
      throw toStoreError(error, context);
    }
  }

  /** A read that treats a missing store table (nothing migrated yet) as no rows. */
  async function readInternal<T extends object>(context: FailureContext, sql: string, params: unknown[]): Promise<T[]> {
    return run(context, async () => {
      try {
        return (await pool.query<T>(sql, params)).rows;
      } catch (error) {
        if (sqlStateOf(error) === '42P01') return [];
        throw error;
      }
    });
  }

  /** One run of a stream: checks its arguments when iteration starts, then yields its chunks. */
  async function* streamRun<R extends Row>(sql: string, params: readonly unknown[], options: StreamOptions | undefined): AsyncGenerator<R[]> {
    const context = { operation: 'stream' };
    if (typeof sql !== 'string' || sql.trim() === '') throw new ConfigError('stream: give the query as a non-empty SQL string', 'sql');
    if (!Array.isArray(params)) throw new ConfigError('stream: params must be an array of values for the $n placeholders', 'params');
    const chunkSize = chunkSizeOf(options);
    assertOpen(context);
    try {
      yield* cursorChunks<R>(pool, streamClients, () => assertOpen(context), sql, params, chunkSize);
    } catch (error) {
      throw toStoreError(error, context);
    }
  }

  /** Compiles a spec (unless the same spec and mode is compiled already) and keeps it for writes. */
  function remember(spec: TableSpec): CompiledTable {
    const checksum = specChecksum(spec);
    const current = tables.get(spec.name);
    if (current?.checksum === checksum && current.spec.mode === spec.mode) return current;
    const entry = compileTable(schema, spec, checksum, stagingName(spec.name, checksum));
    tables.set(spec.name, entry);
    return entry;
  }

  /**
   * The compiled table of a write: migrated by this store, or else the spec last recorded in
   * `sluice_migrations` (by another process, or an earlier run), loaded once and kept.
   */
  async function compiled(table: unknown): Promise<CompiledTable> {
    const entry = typeof table === 'string' ? tables.get(table) : undefined;
    if (entry !== undefined) return entry;
    const context = { operation: 'write', schema, ...(typeof table === 'string' ? { table } : {}) };
    if (typeof table !== 'string') throw refusal(context, `the table must be a name, got ${String(table)}`);
    const latest = await run(context, () => latestMigration(pool, schema, table));
    if (latest === undefined) {
      throw refusal(
        context,
        `table "${table}" was never migrated in schema "${schema}" (${INTERNAL_TABLES.migrations} has no record of it); ` +
          'call migrate() with its spec first',
      );
    }
    return tables.get(table) ?? remember(latest.spec);
  }

  /** Sends the rows of a prepared batch: COPY into the table, or into staging then (with the COMMIT) upsert. */
  async function sendRows(client: PoolClient, table: CompiledTable, batch: PreparedBatch, hooks: TransactionHooks): Promise<void> {
    if (batch.mode === 'append') {
      await copyChunks(client, table.copyIntoTable[batch.format], batch.chunks);
      return;
    }
    let ready = staged.get(client);
    if (ready?.has(table.staging) !== true) {
      await client.query(table.createStaging);
      hooks.onCommit(() => {
        if (ready === undefined) staged.set(client, (ready = new Set()));
        ready.add(table.staging);
      });
    }
    await copyChunks(client, table.copyIntoStaging[batch.format], batch.chunks);
    hooks.withCommit(table.merge);
  }

  return {
    name: 'pg',

    async migrate(specs: readonly TableSpec[]): Promise<void> {
      if (!Array.isArray(specs)) {
        throw refusal({ operation: 'migrate' }, 'give an array of table specs');
      }
      assertOpen({ operation: 'migrate', schema });
      assertTableSpecs(specs);
      await run({ operation: 'migrate', schema }, () =>
        withTransaction(pool, (client) => migrateTables(client, schema, specs)),
      );
      for (const spec of specs) remember(spec);
    },

    async write(batch: WriteBatch): Promise<WriteResult> {
      assertOpen({ operation: 'write', ...(typeof batch?.table === 'string' ? { table: batch.table } : {}), schema });
      if (typeof batch !== 'object' || batch === null) {
        throw refusal({ operation: 'write', schema }, 'give a batch object { table, rows, replace?, deadLetters?, checkpoint?, checkpoints? }');
      }
      const table = batch.table === undefined ? undefined : await compiled(batch.table);
      const prepared = ahead.take(batch, table) ?? prepareBatch(table, batch, schema);
      const { count, deadLetters, checkpoints, replace } = prepared;
      const result: WriteResult = { written: count, deadLetters: deadLetters.length };
      if (count === 0 && deadLetters.length === 0 && checkpoints.length === 0 && replace === undefined) return result;
      await run(prepared.context, () =>
        withTransaction(pool, async (client, hooks) => {
          // The replaced rows go before the rows that replace them; dead letters next: the merge and
          // the checkpoints go out with the COMMIT.
          if (replace !== undefined && replace.values.length > 0) await client.query(replace.sql, [replace.values]);
          await insertDeadLetters(client, schema, deadLetters);
          if (table !== undefined && count > 0) await sendRows(client, table, prepared, hooks);
          if (checkpoints.length > 0) hooks.withCommit(upsertCheckpointsSql(schema, checkpoints));
        }),
      );
      return result;
    },

    prepare(batch: WriteBatch): void {
      const table = typeof batch?.table === 'string' ? tables.get(batch.table) : undefined;
      // A batch it cannot encode is left for write(), which refuses it with the same error.
      if (!closed && table !== undefined) ahead.prepare(batch, table, () => prepareBatch(table, batch, schema));
    },

    async readCheckpoint(stream: string): Promise<Position | undefined> {
      const context = { operation: 'readCheckpoint', schema };
      const rows = await readInternal<{ position: Position }>(context, readCheckpointSql(schema), [stream]);
      return rows[0]?.position;
    },

    async readCheckpoints(which: CheckpointSelector): Promise<Map<string, Position>> {
      const context = { operation: 'readCheckpoints', schema };
      const selector = checkpointSelector(which);
      if (typeof selector === 'string') throw refusal(context, selector);
      const [sql, param] = 'prefix' in selector ? [readCheckpointsSql(schema, 'prefix'), selector.prefix] : [readCheckpointsSql(schema, 'streams'), selector.streams];
      const rows = await readInternal<{ stream: string; position: Position }>(context, sql, [param]);
      return new Map(rows.map((row) => [row.stream, row.position]));
    },

    async readDeadLetters(origin?: string): Promise<DeadLetter[]> {
      const byOrigin = origin !== undefined;
      const context = { operation: 'readDeadLetters', schema };
      const sql = readDeadLettersSql(schema, byOrigin);
      const rows = await readInternal<DeadLetterRow>(context, sql, byOrigin ? [origin] : []);
      return rows.map(toDeadLetter);
    },

    async query<R extends Row = Row>(sql: string, params: readonly unknown[] = []): Promise<R[]> {
      return run({ operation: 'query' }, async () => (await pool.query<R>(sql, [...params])).rows);
    },

    stream<R extends Row = Row>(sql: string, params: readonly unknown[] = [], options?: StreamOptions): AsyncIterable<R[]> {
      return { [Symbol.asyncIterator]: () => streamRun<R>(sql, params, options) };
    },

    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      // Streams left open would hold their connections, and pool.end() would wait for them.
      for (const held of [...streamClients]) held.release(new Error('store closed while a stream was open'));
      await pool.end();
    },
  };
}
