/**
 * Sluice paths `redis-pg` and `kafka-pg`, one process per role: `produce` is csvSource → ingest →
 * broker; `consume` is broker → persist → PostgreSQL store (merge), started before `go` so that it
 * has joined its group when the clock starts, and ended once it has persisted every row.
 */
import type { Broker } from '@sluice/core';
import { createKafkaBroker } from '@sluice/adapter-kafka';
import { createRedisBroker } from '@sluice/adapter-redis';
import { createPgStore } from '@sluice/store-pg';
import type { WorkerConfig } from '../lib/config.js';
import { assertClean, ingestTrips, persistTrips, untilPersisted } from '../lib/sluice-run.js';
import { tripTable } from '../lib/trips.js';
import { runWorker } from '../lib/worker.js';

const [, , , brokerName] = process.argv;

function connectBroker(config: WorkerConfig): Broker {
  if (brokerName === 'kafka') {
    return createKafkaBroker({
      brokers: config.kafkaBrokers,
      clientId: `bench-${config.role}-${process.pid}`,
      partitions: config.partitions ?? 3,
      packEnvelopes: config.packEnvelopes === true,
    });
  }
  if (brokerName === 'redis') return createRedisBroker({ url: config.redisUrl });
  throw new Error(`sluice-broker-pg: the broker (second argument) must be redis or kafka, got ${String(brokerName)}`);
}

await runWorker(`${brokerName}-pg`, async (config) => {
  const broker = connectBroker(config);
  if (config.role === 'produce') {
    return {
      work: async () => ({ rows: assertClean(await ingestTrips(broker, config).done, config.rows, 'published').published }),
      close: () => broker.close(),
    };
  }
  const store = createPgStore({ connectionString: config.pgUrl, schema: config.schema, poolSize: config.poolSize ?? 2, applicationName: 'sluice-bench' });
  await store.migrate([tripTable(config.table)]);
  const run = persistTrips(broker, store, config);
  return {
    work: async (clock) => ({ rows: (await untilPersisted(run, config.rows, clock)).persisted }),
    close: async () => {
      await broker.close();
      await store.close();
    },
  };
});
