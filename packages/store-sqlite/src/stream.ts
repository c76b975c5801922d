/**
 * `Store.stream` on SQLite. The `sqlite3` driver steps a statement only one row per call (a
 * thread-pool round trip each, about 35 µs: 1 M rows in 35 s) or all rows at once without
 * backpressure (`all`, `each`). So the result is first copied, inside SQLite, into a temporary
 * table (a file, whatever the size; `temp_store` is left at its file default), then read back in
 * `rowid` ranges of `chunkSize` rows with `all`: ~2 s per million rows on this machine, bounded
 * memory, and a snapshot: writes between chunks never show in it.
 */
import { ConfigError, type Row, type StreamOptions } from '@sluice/core';
import type { Connection, Params } from './connection.js';

/** Rows per chunk when the caller gives none. */
export const DEFAULT_CHUNK_SIZE = 1000;
const MAX_CHUNK_SIZE = 1_000_000;

/** The checked chunk size of `options`; throws `ConfigError`. */
export function chunkSizeOf(options: StreamOptions | undefined): number {
  const size = options?.chunkSize ?? DEFAULT_CHUNK_SIZE;
  if (!Number.isInteger(size) || size < 1 || size > MAX_CHUNK_SIZE) {
    throw new ConfigError(
      `stream: chunkSize must be an integer from 1 to ${MAX_CHUNK_SIZE}, got ${String(size)}`,
      'chunkSize',
    );
  }
  return size;
}

/** Runs one step of a stream on the store's connection, through its queue (failures become `StoreError`s). */
export type StreamTask = <T>(body: (db: Connection) => Promise<T>, sql?: string) => Promise<T>;

/** Names of the `rowid` of a table, in the order tried: a result column may shadow any of them. */
const ROWID_NAMES = ['_rowid_', 'rowid', 'oid'];

/** Names for the temporary tables of a connection's streams, each one new. */
export function streamTableNames(): () => string {
  let count = 0;
  return () => `sluice_stream_${++count}`;
}

/**
 * The chunks of one run of `sql`. `run` queues work on the store's connection; `isOpen` tells
 * whether the store is still open.
 */
export async function* streamChunks<R extends Row>(
  run: StreamTask,
  nextName: () => string,
  isOpen: () => boolean,
  sql: string,
  params: Params,
  chunkSize: number,
): AsyncGenerator<R[], void, undefined> {
  const table = nextName();
  try {
    // One queued task: the copy, then the name of its rowid. No other call runs in between.
    const rowid = await run(async (db) => {
      await db.run(`CREATE TEMP TABLE ${table} AS ${sql}`, params);
      const columns = new Set((await db.all<{ name: string }>(`PRAGMA temp.table_info(${table})`)).map((c) => c.name.toLowerCase()));
      return ROWID_NAMES.find((name) => !columns.has(name));
    }, sql);
    if (rowid === undefined) {
      throw new ConfigError(
        `stream: the query has result columns named ${ROWID_NAMES.join(', ')}, which hides the row order SQLite reads chunks by; rename one of them (\`AS …\`)`,
        'sql',
      );
    }
    const page = `SELECT * FROM temp.${table} WHERE ${rowid} > ? ORDER BY ${rowid} LIMIT ?`;
    let last = 0; // rowids of a new table run 1…n in insertion order, which is the query's order
    for (;;) {
      const rows = await run((db) => db.all<R>(page, [last, chunkSize]), sql);
      if (rows.length === 0) return;
      last += rows.length;
      yield rows;
      if (rows.length < chunkSize) return;
    }
  } finally {
    // A closed connection has dropped its temporary tables already.
    if (isOpen()) await run((db) => db.run(`DROP TABLE IF EXISTS temp.${table}`)).catch(() => undefined);
  }
}
