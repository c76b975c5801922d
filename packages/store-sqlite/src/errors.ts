/**
 * Errors of @sluice/store-sqlite: driver errors turned into `StoreError`s that say what failed,
 * on which table, whether retrying may help, and what to do.
 */
import { SluiceError, StoreError } from '@sluice/core';

/** A store error that came from SQLite, with the engine's result code (e.g. `SQLITE_BUSY`). */
export class SqliteStoreError extends StoreError {
  constructor(
    message: string,
    operation: string,
    table: string | undefined,
    /** SQLite's result code, e.g. `SQLITE_CONSTRAINT`, when the engine reported one. */
    readonly code: string | undefined,
    cause: unknown,
  ) {
    super(message, operation, table, { retriable: isLockCode(code), cause });
  }
}

/** Codes that mean another connection holds a lock: waiting and retrying may succeed. */
function isLockCode(code: string | undefined): boolean {
  return code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED';
}

/** What to do about a failure, by SQLite result code and message. */
function advice(code: string | undefined, message: string, table: string | undefined): string {
  if (isLockCode(code)) {
    return 'Another connection holds the database lock; the write is retriable, or raise busyTimeoutMs.';
  }
  if (code === 'SQLITE_CONSTRAINT') {
    return (
      `A row breaks a constraint of table "${table}": a NULL in a non-nullable column, or in append mode a key ` +
      'that is already stored (use merge mode to update existing keys). Nothing of the batch was written.'
    );
  }
  if (/no such table/i.test(message)) return 'Create the table with store.migrate([spec]) before using it.';
  if (code === 'SQLITE_CANTOPEN') return 'Check that the directory exists and is writable.';
  return 'Nothing of the operation was committed.';
}

/**
 * Wraps anything thrown by the driver in a `SqliteStoreError` (Sluice errors pass through as they are).
 * `operation` is the store method, `table` the table involved when there is one, `sql` the statement
 * the caller gave (quoted, shortened, in the message).
 */
export function toStoreError(error: unknown, operation: string, table?: string, sql?: string): SluiceError {
  if (error instanceof SluiceError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  const codeText = typeof code === 'string' ? code : undefined;
  const message = error instanceof Error ? error.message : String(error);
  const where =
    (table === undefined ? '' : ` on table "${table}"`) +
    (sql === undefined ? '' : ` (${sql.length > 120 ? `${sql.slice(0, 117)}...` : sql})`);
  return new SqliteStoreError(
    `SQLite ${operation}${where} failed: ${message}. ${advice(codeText, message, table)}`,
    operation,
    table,
    codeText,
    error,
  );
}

/** The error of every call made after `close()`. */
export function closedError(operation: string): StoreError {
  return new StoreError(
    `SQLite store: ${operation} was called after close(); create a new store with createSqliteStore().`,
    operation,
  );
}
