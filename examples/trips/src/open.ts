/** Opening the store of a command: by URL (or the default file), with the model migrated. */
import type { Store } from '@sluice/core';
import { openStoreTarget, parseStoreUrl, type Shutdown } from '@sluice/runtime';
import { migrateModel } from './model.js';
import type { TripSettings } from './trip.js';

/** The embedded default store. */
export const DEFAULT_STORE = 'sqlite:sluice-out/trips.db';

/**
 * PostgreSQL settings of the example's connections. The answers are many short index range reads
 * (one per cell of a box, in every month partition): with parallel workers the server spends more
 * starting and joining them than reading, and on two cores they only take CPU from the ingestion;
 * and the planner, which cannot know how few rows a range of cells holds, estimates costs high
 * enough to compile the query (JIT), which took longer than the query itself. Measured at 10M trips
 * on this machine: box answers took about half the time without either (BENCHMARKS.md, sixth round).
 */
export const TRIPS_PG_SETTINGS = { max_parallel_workers_per_gather: 0, jit: false };

/** Opens the store named by --store (or the default) and migrates the model. */
export async function openTripsStore(url: string | undefined, shutdown: Shutdown, wanted: Partial<TripSettings> = {}): Promise<{ store: Store; settings: TripSettings }> {
  const target = parseStoreUrl(url ?? process.env.SLUICE_STORE ?? DEFAULT_STORE, { defaultSqliteFile: 'sluice-out/trips.db' });
  const store = shutdown.own(await openStoreTarget(target, { pg: { serverSettings: TRIPS_PG_SETTINGS } }));
  const settings = await migrateModel(store, wanted);
  return { store, settings };
}

