/**
 * `Store.stream` on PostgreSQL: a server-side cursor (`DECLARE … NO SCROLL CURSOR`, then
 * `FETCH FORWARD n`) in a transaction on a pooled connection held for the stream's life. The
 * cursor reads one snapshot; the connection goes back to the pool (or is destroyed, if it broke)
 * as soon as the rows end, the consumer leaves the loop, or a fetch fails.
 */
import { ConfigError, type Row, type StreamOptions } from '@sluice/core';
import type pg from 'pg';
import type { PoolClient } from 'pg';
import { connectionMayBeBroken } from './connection.js';

/** Rows per chunk when the caller gives none. */
export const DEFAULT_CHUNK_SIZE = 1000;
const MAX_CHUNK_SIZE = 1_000_000;

/** The checked chunk size of `options`; throws `ConfigError`. */
export function chunkSizeOf(options: StreamOptions | undefined): number {
  const size = options?.chunkSize ?? DEFAULT_CHUNK_SIZE;
  if (!Number.isInteger(size) || size < 1 || size > MAX_CHUNK_SIZE) {
    throw new ConfigError(`stream: chunkSize must be an integer from 1 to ${MAX_CHUNK_SIZE}, got ${String(size)}`, 'chunkSize');
  }
  return size;
}

/** Connections held by open streams, so that `close()` can end them instead of waiting for them. */
export type StreamClients = Set<{ release(error: Error): void }>;

/**
 * The chunks of one run of `sql`. Errors are the driver's own; the caller turns them into
 * `StoreError`s. `held` gets the connection while the stream holds it; `assertOpen` throws once
 * the store is closed.
 */
export async function* cursorChunks<R extends Row>(
  pool: pg.Pool,
  held: StreamClients,
  assertOpen: () => void,
  sql: string,
  params: readonly unknown[],
  chunkSize: number,
): AsyncGenerator<R[], void, undefined> {
  const client: PoolClient = await pool.connect();
  let broken: Error | undefined;
  let released = false;
  const markBroken = (error: unknown) => {
    broken ??= error instanceof Error ? error : new Error(String(error));
  };
  const handle = {
    release(error?: Error) {
      if (released) return;
      released = true;
      held.delete(handle);
      client.off('error', markBroken);
      client.release(error ?? broken);
    },
  };
  held.add(handle);
  client.on('error', markBroken);
  let finished = false;
  try {
    await client.query('BEGIN READ ONLY');
    await client.query(`DECLARE sluice_stream NO SCROLL CURSOR FOR ${sql}`, [...params]);
    const fetch = `FETCH FORWARD ${chunkSize} FROM sluice_stream`;
    for (;;) {
      assertOpen(); // close() ends the connection of a stream left open
      const { rows } = await client.query<R>(fetch);
      if (rows.length > 0) yield rows;
      if (rows.length < chunkSize) break;
    }
    await client.query('COMMIT');
    finished = true;
  } catch (error) {
    if (connectionMayBeBroken(error)) markBroken(error);
    throw error;
  } finally {
    // Left early or failed: ROLLBACK closes the cursor and ends the transaction.
    if (!finished && !released && broken === undefined) await client.query('ROLLBACK').catch(markBroken);
    handle.release();
  }
}
