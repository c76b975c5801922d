/**
 * @sluice/core: contracts, RxJS pipelines, the in-memory broker, sources, schemas, analytics and
 * report renderers. Adapters for real servers live in their own packages.
 */
export * from './types.js';
export * from './errors.js';
export * from './retry.js';
export * from './sql.js';
export * from './keyset.js';
export * from './decimal.js';
export * from './utc-time.js';
export * from './prepared-writes.js';
export * from './migrations.js';
export * from './write-batch.js';
export * from './constraints.js';
export * from './env.js';
export * from './schemas/index.js';
export * from './sources/index.js';
export * from './http/index.js';
export * from './broker/index.js';
export * from './pipeline/index.js';
export * from './analytics/index.js';
export * from './report/index.js';
export * from './datagen/index.js';
