/**
 * Sluice path `memory-sqlite`: csvSource → ingest → in-memory broker → persist → SQLite store, all
 * in one process (the embedded defaults).
 */
import { openBroker, openStore } from '@sluice/runtime';
import { need } from '../lib/config.js';
import { assertClean, ingestTrips, persistTrips, untilPersisted } from '../lib/sluice-run.js';
import { tripTable } from '../lib/trips.js';
import { runWorker } from '../lib/worker.js';

await runWorker('memory-sqlite', async (config) => {
  const store = await openStore(`sqlite:${need(config, 'sqliteFile', 'memory-sqlite')}`);
  await store.migrate([tripTable(config.table)]);
  const broker = await openBroker('memory:');
  return {
    work: async (clock) => {
      const producer = ingestTrips(broker, config);
      const consumer = persistTrips(broker, store, config);
      const [published, persisted] = await Promise.all([producer.done, untilPersisted(consumer, config.rows, clock)]);
      assertClean(published, config.rows, 'published');
      return { rows: persisted.persisted };
    },
    close: async () => {
      await broker.close();
      await store.close();
    },
  };
});
