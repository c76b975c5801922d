import { combineRuns, csvSource, ingest, persist, type CsvRecord } from '@sluice/core';
import { createProgressView, createShutdown, openBroker, openStore } from '@sluice/runtime';

const shutdown = createShutdown();
const broker = shutdown.own(await openBroker(process.env.SLUICE_BROKER ?? 'redis://127.0.0.1:6379'));
const store = shutdown.own(await openStore(process.env.SLUICE_STORE ?? 'postgres://postgres@127.0.0.1:5432/postgres'));
await store.migrate([{ name: 'cities', key: ['id'], columns: [{ name: 'id', type: 'text' }, { name: 'name', type: 'text' }, { name: 'population', type: 'bigint' }] }]);
const run = shutdown.track(combineRuns([
  ingest<CsvRecord>({ source: csvSource({ path: process.argv[2]!, types: { population: 'number' } }), broker, topic: 'cities', key: (row) => String(row.id) }),
  persist<CsvRecord>({ broker, topic: 'cities', group: 'loader', store, table: 'cities', toRow: (row) => row, idleStopMs: 2000 }),
]));
createProgressView().track(run.status$);
console.log(await run.done); // { read, published, persisted, rejected, ... }
await shutdown.close();
