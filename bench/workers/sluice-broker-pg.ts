/**
 * Sluice paths `redis-pg`, `kafka-pg` and `rabbitmq-pg`, one process per role: `produce` is csvSource → ingest →
 * broker; `consume` is broker → persist → PostgreSQL store (merge), started before `go` so that it
 * has joined its group when the clock starts, and ended once it has persisted every row.
 */
import type { Broker } from '@sluice/core';
import { openBroker, openStore } from '@sluice/runtime';
import type { WorkerConfig } from '../lib/config.js';
import { assertClean, ingestTrips, persistTrips, untilPersisted } from '../lib/sluice-run.js';
import { tripTable } from '../lib/trips.js';
import { runWorker } from '../lib/worker.js';

const [, , , brokerName] = process.argv;

/** The broker of the path, opened by URL as a user's program would. */
function connectBroker(config: WorkerConfig): Promise<Broker> {
  const url = { kafka: `kafka://${config.kafkaBrokers}`, redis: config.redisUrl, rabbitmq: config.rabbitmqUrl }[brokerName ?? ''];
  if (!url) throw new Error(`sluice-broker-pg: the broker (second argument) must be redis, kafka or rabbitmq, got ${String(brokerName)}`);
  return openBroker(url, {
    clientId: `bench-${config.role}-${process.pid}`,
    kafka: { partitions: config.partitions ?? 3, packEnvelopes: config.packEnvelopes === true },
    rabbitmq: { groups: [config.group!], packEnvelopes: config.packEnvelopes === true },
  });
}

await runWorker(`${brokerName}-pg`, async (config) => {
  const broker = await connectBroker(config);
  if (config.role === 'produce') {
    return {
      work: async () => ({ rows: assertClean(await ingestTrips(broker, config).done, config.rows, 'published').published }),
      close: () => broker.close(),
    };
  }
  const store = await openStore(config.pgUrl, { pg: { schema: config.schema, poolSize: config.poolSize ?? 2, applicationName: 'sluice-bench' } });
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
