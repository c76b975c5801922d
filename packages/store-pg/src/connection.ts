/**
 * The I/O edge of the store: a bounded pool whose errors never crash the process, clients that
 * are destroyed when their connection broke, transactions, and COPY from in-memory chunks.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { SluiceError, assertIdentifier } from '@sluice/core';
import pg from 'pg';
import type { PoolClient, PoolConfig } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { sqlStateOf } from './errors.js';

/** OIDs of the types whose text Sluice parses differently from node-postgres' defaults. */
const INT8_OID = 20;
const NUMERIC_OID = 1700;

/** int8 as a number when it is exact, else as a bigint (node-postgres would give a string). */
export function parseInt8(text: string): number | bigint {
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : BigInt(text);
}

/** Type parsers of the store's connections: int8 → number | bigint, numeric → number. */
const typeParsers = {
  getTypeParser(oid: number, format?: 'text' | 'binary'): (text: string) => unknown {
    if (format !== 'binary' && oid === INT8_OID) return parseInt8;
    if (format !== 'binary' && oid === NUMERIC_OID) return Number;
    return pg.types.getTypeParser(oid, format ?? 'text') as (text: string) => unknown;
  },
};

/** Connection settings of a pool. */
export interface PoolSettings {
  connectionString: string;
  /** Schema searched first by unqualified names in queries (then `public`). */
  schema: string;
  poolSize: number;
  applicationName: string;
  connectTimeoutMs: number;
  statementTimeoutMs?: number;
  /** Further server settings of every connection, checked (see `PgStoreOptions.serverSettings`). */
  serverSettings?: Readonly<Record<string, string>>;
  /** Told about errors of idle clients (a server restart kills them); the pool replaces them. */
  onPoolError?: (error: Error) => void;
}

/**
 * Takes the `options` parameter (server settings, `-c name=value ...`) out of a `postgres://` URL.
 * node-postgres gives a URL's parameters precedence over the pool config, so a URL with `options`
 * would silently drop the store's search_path and time zone; the store sends them after the URL's.
 * Anything that is not such a URL is returned as it is.
 */
export function withoutUrlOptions(connectionString: string): { connectionString: string; options?: string } {
  const match = /^(postgres(?:ql)?:\/\/[^?#]*)\?([^#]*)(#.*)?$/i.exec(connectionString);
  if (!match) return { connectionString };
  const params = match[2]!.split('&');
  const taken = params.filter((p) => p.startsWith('options='));
  if (taken.length === 0) return { connectionString };
  const kept = params.filter((p) => !p.startsWith('options='));
  let options: string;
  try {
    options = taken.map((p) => decodeURIComponent(p.slice('options='.length).replace(/\+/g, ' ')).trim()).filter(Boolean).join(' ');
  } catch {
    return { connectionString }; // malformed escapes: node-postgres reports them
  }
  return { connectionString: `${match[1]}${kept.length > 0 ? `?${kept.join('&')}` : ''}${match[3] ?? ''}`, ...(options ? { options } : {}) };
}

/** A pool whose `error` events (idle clients killed) are reported, never thrown. */
export function createPool(settings: PoolSettings): pg.Pool {
  const url = withoutUrlOptions(settings.connectionString);
  const config: PoolConfig = {
    connectionString: url.connectionString,
    max: settings.poolSize,
    connectionTimeoutMillis: settings.connectTimeoutMs,
    fallback_application_name: settings.applicationName,
    // Unqualified names in queries resolve in the store's schema; timestamps without a zone (ISO
    // strings in rows) are read as UTC, whatever the server's zone.
    // The URL's own `options` go first: node-postgres would let them replace these, and later -c win.
    options: [
      ...(url.options ? [url.options] : []),
      `-c search_path="${assertIdentifier(settings.schema)}",public -c TimeZone=UTC`,
      ...Object.entries(settings.serverSettings ?? {}).map(([name, value]) => `-c ${name}=${value}`),
    ].join(' '),
    types: typeParsers,
    ...(settings.statementTimeoutMs === undefined ? {} : { statement_timeout: settings.statementTimeoutMs }),
  };
  const pool = new pg.Pool(config);
  pool.on('error', (error) => settings.onPoolError?.(error));
  return pool;
}

/**
 * Runs `fn` with a client of the pool. While checked out, the client's `error` events are caught
 * (node-postgres would otherwise throw them); a client that saw one, or that `fn` marks broken,
 * is destroyed on release instead of going back to the pool.
 */
export async function withClient<T>(
  pool: pg.Pool,
  fn: (client: PoolClient, markBroken: (error: unknown) => void) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  const markBroken = (error: unknown) => {
    broken ??= error instanceof Error ? error : new Error(String(error));
  };
  client.on('error', markBroken);
  try {
    return await fn(client, markBroken);
  } catch (error) {
    if (connectionMayBeBroken(error)) markBroken(error);
    throw error;
  } finally {
    client.off('error', markBroken);
    client.release(broken);
  }
}

/** What a transaction body can add besides its own queries. */
export interface TransactionHooks {
  /** Runs `callback` only once the transaction is committed (for session state a rollback would undo). */
  onCommit(callback: () => void): void;
  /**
   * Sends `sql` (statements without parameters) in the same round trip as `COMMIT`, before it:
   * the last statements of a write cost no round trip of their own. A failing one rolls back all.
   */
  withCommit(sql: string): void;
}

/**
 * Runs `fn` inside BEGIN … COMMIT on one client; on any failure rolls back and rethrows the
 * original error. A client whose rollback fails is destroyed. See {@link TransactionHooks}.
 */
export function withTransaction<T>(pool: pg.Pool, fn: (client: PoolClient, hooks: TransactionHooks) => Promise<T>): Promise<T> {
  return withClient(pool, async (client, markBroken) => {
    const committed: (() => void)[] = [];
    const last: string[] = [];
    await client.query('BEGIN');
    let result: T;
    try {
      result = await fn(client, { onCommit: (callback) => committed.push(callback), withCommit: (sql) => last.push(sql) });
      last.push('COMMIT');
      await client.query(last.join(';\n'));
    } catch (error) {
      await client.query('ROLLBACK').catch((rollbackError: unknown) => markBroken(rollbackError));
      throw error;
    }
    for (const callback of committed) callback();
    return result;
  });
}

/** Whether an error may have left the connection unusable: no SQLSTATE (socket, protocol) or a shutdown. */
export function connectionMayBeBroken(error: unknown): boolean {
  if (error instanceof SluiceError) return false;
  const state = sqlStateOf(error);
  return state === undefined || state.startsWith('08') || state.startsWith('57P');
}

/** Streams ready-made COPY data (text or binary chunks) into `COPY … FROM STDIN`; resolves with the rows copied. */
export async function copyChunks(client: PoolClient, sql: string, chunks: readonly string[] | readonly Buffer[]): Promise<number> {
  const stream = client.query(copyFrom(sql));
  await pipeline(Readable.from(chunks, { objectMode: false }), stream);
  return stream.rowCount;
}
