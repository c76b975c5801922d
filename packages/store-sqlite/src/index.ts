/**
 * @sluice/store-sqlite: the embedded Store on SQLite (sqlite3). WAL, one transaction per batch
 * holding rows, dead letters and checkpoint, multi-row upserts on the natural key.
 */
export { createSqliteStore, type SqliteStoreOptions } from './sqlite-store.js';
export { SqliteStoreError } from './errors.js';
