/**
 * How the commands open the warehouse's store. One place, so that the CLI and the benchmark measure
 * the same settings.
 *
 * SQLite's page cache is 8 MiB instead of the store's 64 MiB. A load appends each vehicle's
 * positions at the end of its key range: what it touches is the b-tree's interior pages (about
 * 5 MB for a month of ten million positions) and one leaf per vehicle, which 8 MiB holds (a
 * month's load took the same CPU with 4 MiB as with 16). A larger cache only adds resident
 * memory, in the load and more in `report`, where SQLite lets each sort of the distance view's
 * window functions hold up to the cache size before it spills to disk: the month's report peaked
 * at 352 MB with 64 MiB, 168 MB with 16 and 139 MB with 8, in about the same time.
 */
import type { OpenStoreOptions } from '@sluice/runtime';

/** SQLite page cache of the warehouse connection, MiB. */
export const SQLITE_CACHE_MIB = 8;

/** The options of `openStore`/`openStoreTarget` for the warehouse (`schema`: PostgreSQL's). */
export function warehouseStoreOptions(schema: string, applicationName = 'vehicle-events'): OpenStoreOptions {
  return { sqlite: { cacheMiB: SQLITE_CACHE_MIB }, pg: { schema, applicationName } };
}
