/**
 * Reading a table in key order in bounded chunks by keyset pagination: each chunk is one indexed
 * range query through `Store.query`,
 * `SELECT … WHERE (k1, k2) > (last k1, last k2) ORDER BY k1, k2 LIMIT n`, which both SQLite
 * (3.15+) and PostgreSQL answer from the primary key's index. Unlike `Store.stream` of an arbitrary
 * query it copies nothing first (SQLite's stream materialises the query in a temporary table), so
 * a full scan of a large keyed table costs one index walk; unlike `stream` it is not a snapshot:
 * rows written meanwhile ahead of the position read so far do show.
 */
import { ConfigError } from './errors.js';
import { quoteIdentifier } from './sql.js';
import type { Row, Store } from './types.js';

/** What {@link readInKeyOrder} reads. */
export interface KeyOrderRead {
  table: string;
  /** The table's key columns (unique and NOT NULL together: its primary key), in index order. */
  key: readonly string[];
  /** Columns to read (the key columns are read too, whether listed or not). */
  columns: readonly string[];
  /** Rows per chunk (default 10 000). */
  chunkSize?: number;
  /** The store's placeholder for the i-th parameter, from 1 (default: `$i` for `pg`, else `?`). */
  param?: (index: number) => string;
}

const DEFAULT_CHUNK = 10_000;

/** Yields the table's rows in key order, `chunkSize` at a time; memory holds one chunk. */
export async function* readInKeyOrder<R extends Row = Row>(store: Store, read: KeyOrderRead): AsyncGenerator<R[], void, undefined> {
  const chunkSize = read.chunkSize ?? DEFAULT_CHUNK;
  if (!Number.isInteger(chunkSize) || chunkSize < 1) throw new ConfigError(`readInKeyOrder: chunkSize must be a positive integer, got ${String(chunkSize)}`, 'chunkSize');
  if (read.key.length === 0) throw new ConfigError(`readInKeyOrder: table "${read.table}" needs its key columns to be read in key order`, 'key');
  const param = read.param ?? (store.name === 'pg' ? (i: number) => `$${i}` : () => '?');
  const key = read.key.map(quoteIdentifier);
  const columns = [...new Set([...read.key, ...read.columns])].map(quoteIdentifier).join(', ');
  const from = `SELECT ${columns} FROM ${quoteIdentifier(read.table)}`;
  const order = `ORDER BY ${key.join(', ')} LIMIT ${chunkSize}`;
  const after = `${from} WHERE (${key.join(', ')}) > (${key.map((_, i) => param(i + 1)).join(', ')}) ${order}`;
  let last: unknown[] | undefined;
  for (;;) {
    const rows = last === undefined ? await store.query<R>(`${from} ${order}`) : await store.query<R>(after, last);
    if (rows.length === 0) return;
    const tail = rows[rows.length - 1]!;
    last = read.key.map((k) => tail[k]);
    yield rows;
    if (rows.length < chunkSize) return;
  }
}
