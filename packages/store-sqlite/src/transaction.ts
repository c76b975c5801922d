/** One SQLite write transaction. */
import type { Connection } from './connection.js';

/** Runs `body` in one `BEGIN IMMEDIATE … COMMIT`, rolling back if anything in it fails. */
export async function transaction<T>(db: Connection, body: () => Promise<T>): Promise<T> {
  await db.run('BEGIN IMMEDIATE');
  try {
    const result = await body();
    await db.run('COMMIT');
    return result;
  } catch (error) {
    // The original error is what the caller needs; a failing ROLLBACK (SQLite may already have
    // rolled back, e.g. on SQLITE_FULL) leaves no transaction open either way.
    await db.run('ROLLBACK').catch(() => undefined);
    throw error;
  }
}
