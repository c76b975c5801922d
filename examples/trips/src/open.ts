/** Opening the store of a command: by URL (or the default file), with the model migrated. */
import type { Store } from '@sluice/core';
import { openStoreTarget, parseStoreUrl, type Shutdown } from '@sluice/runtime';
import { migrateModel } from './model.js';
import type { TripSettings } from './trip.js';

/** The embedded default store. */
export const DEFAULT_STORE = 'sqlite:sluice-out/trips.db';

/** Opens the store named by --store (or the default) and migrates the model. */
export async function openTripsStore(url: string | undefined, shutdown: Shutdown, wanted: Partial<TripSettings> = {}): Promise<{ store: Store; settings: TripSettings }> {
  const target = parseStoreUrl(url ?? process.env.SLUICE_STORE ?? DEFAULT_STORE, { defaultSqliteFile: 'sluice-out/trips.db' });
  const store = shutdown.own(await openStoreTarget(target));
  const settings = await migrateModel(store, wanted);
  return { store, settings };
}

