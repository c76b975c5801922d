/**
 * Sluice path `direct-pg-append` / `direct-pg-merge`: csvSource → load → PostgreSQL store, in one
 * process, with each batch's rows and checkpoint in one transaction.
 */
import { load } from '@sluice/core';
import { openStore } from '@sluice/runtime';
import { need } from '../lib/config.js';
import { assertClean, tripSource } from '../lib/sluice-run.js';
import { tripTable, type Trip } from '../lib/trips.js';
import { runWorker } from '../lib/worker.js';

await runWorker('direct-pg', async (config) => {
  const mode = need(config, 'mode', 'direct-pg');
  const store = await openStore(config.pgUrl, { pg: { schema: config.schema, poolSize: config.poolSize ?? 2, applicationName: 'sluice-bench' } });
  await store.migrate([tripTable(config.table)]);
  return {
    work: async () => {
      const run = load<Trip>({
        source: tripSource(config.file),
        store,
        table: config.table,
        toRow: (trip) => trip,
        mode,
        incremental: false,
        batchSize: config.batchSize,
        ...(config.maxBuffered ? { maxBuffered: config.maxBuffered } : {}),
      });
      const summary = assertClean(await run.done, config.rows, 'persisted');
      return { rows: summary.persisted };
    },
    close: () => store.close(),
  };
});
