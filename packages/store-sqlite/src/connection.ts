/**
 * A promise wrapper around one `sqlite3` connection. The only file that touches the driver's
 * callback API; everything above it awaits.
 */
import sqlite3 from 'sqlite3';

/** Parameters bound to `?` placeholders, in order. */
export type Params = readonly unknown[];

/** A prepared statement that can be run many times with new parameters. */
export interface Prepared {
  /**
   * Runs the statement with converted values (strings, numbers, null: never an array or a plain
   * object first, which the driver would read as a parameter list or as named parameters);
   * resolves with the number of rows it changed.
   */
  run(params: Params): Promise<number>;
  /** Releases the statement. */
  finalize(): Promise<void>;
}

/** One open database connection. */
export interface Connection {
  /** Runs one statement that returns no rows; resolves with the number of rows it changed. */
  run(sql: string, params?: Params): Promise<number>;
  /** Runs one statement and returns all its rows. */
  all<R>(sql: string, params?: Params): Promise<R[]>;
  /** Runs a script of several statements without parameters. */
  exec(sql: string): Promise<void>;
  /** Compiles a statement for repeated runs. */
  prepare(sql: string): Promise<Prepared>;
  /** Closes the connection (statements must be finalized first). */
  close(): Promise<void>;
}

/** Resolves or rejects a promise from a node-style callback. */
function settle<T>(resolve: (value: T) => void, reject: (error: Error) => void, value: () => T) {
  return (error: Error | null) => (error ? reject(error) : resolve(value()));
}

/** Opens (creating if needed) a database file, or an in-memory database for `:memory:`. */
export function openConnection(filename: string, busyTimeoutMs: number): Promise<Connection> {
  return new Promise((resolve, reject) => {
    const db: sqlite3.Database = new sqlite3.Database(
      filename,
      sqlite3.OPEN_READWRITE | sqlite3.OPEN_CREATE | sqlite3.OPEN_FULLMUTEX,
      (error) => {
        if (error) return reject(error);
        db.configure('busyTimeout', busyTimeoutMs);
        resolve(wrap(db));
      },
    );
  });
}

/** The callback of a `run`: resolves with the number of rows changed. */
function changes(resolve: (changed: number) => void, reject: (error: Error) => void) {
  return function (this: sqlite3.RunResult, error: Error | null) {
    if (error) reject(error);
    else resolve(this.changes);
  };
}

function wrap(db: sqlite3.Database): Connection {
  return {
    run: (sql, params = []) => new Promise((resolve, reject) => db.run(sql, params, changes(resolve, reject))),
    all: <R>(sql: string, params: Params = []) =>
      new Promise<R[]>((resolve, reject) => {
        db.all(sql, params, (error: Error | null, rows: R[]) => (error ? reject(error) : resolve(rows)));
      }),
    exec: (sql) => new Promise((resolve, reject) => db.exec(sql, settle(resolve, reject, () => undefined))),
    prepare: (sql) =>
      new Promise((resolve, reject) => {
        const statement: sqlite3.Statement = db.prepare(sql, settle(resolve, reject, () => prepared(statement)));
      }),
    close: () => new Promise((resolve, reject) => db.close(settle(resolve, reject, () => undefined))),
  };
}

function prepared(statement: sqlite3.Statement): Prepared {
  return {
    // The parameters go in as separate arguments, not as one array: the driver then reads each one
    // straight from its call arguments instead of through one N-API array access per parameter,
    // which is about a seventh of its binding cost (a 512-row statement binds thousands). Never
    // ambiguous: the values of a write are never arrays or plain objects, which the driver would
    // take as a parameter list or as named parameters. Up to SQLite's 32 766 variables fit.
    run: (params) => new Promise((resolve, reject) => statement.run(...params, changes(resolve, reject))),
    finalize: () => new Promise((resolve) => statement.finalize(() => resolve())),
  };
}
