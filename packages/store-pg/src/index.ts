/**
 * @sluice/store-pg: a Sluice `Store` on PostgreSQL. Merges go through COPY into a staging table
 * and one `INSERT … ON CONFLICT`; appends COPY straight into the table; dead letters and the
 * checkpoint commit in the same transaction; table specs migrate as versions under an advisory lock.
 */
export { createPgStore } from './pg-store.js';
export type { PgStoreOptions } from './options.js';
export { PgStoreError, isRetriablePgError, toStoreError } from './errors.js';
export { PG_TYPES } from './ddl.js';
export { escapeCopyText, encodeCopyRows, copyPlan, isoFromEpochMs, RowEncodingError } from './copy-encode.js';
export type { CopyPlan, EncodeOptions, EncodedRows } from './copy-encode.js';
