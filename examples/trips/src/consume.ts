/**
 * The consumer of broker-mode ingestion (`trips consume`, started by `trips ingest --broker`):
 * persists trips from a topic in a consumer group, acking only what the store committed. The
 * rollup trigger counts new trips per ingestion in the same transaction, so a redelivered batch
 * (after a consumer crash) changes nothing.
 */
import { persist, type Broker, type PipelineRun, type Store } from '@sluice/core';
import { openBrokerTarget, parseBrokerUrl, parseCommandLine, integerOption, required, type Shutdown } from '@sluice/runtime';
import { nameBook } from './ingest.js';
import { T, tripsStore } from './model.js';
import { openTripsStore } from './open.js';
import { tripMessageSchema, tripRow, type TripMessage, type TripSettings } from './trip.js';

/** Options of {@link consumeTrips}. */
export interface ConsumeTripsOptions {
  broker: Broker;
  store: Store;
  settings: TripSettings;
  topic: string;
  group: string;
  batchSize?: number;
  visibilityTimeoutMs?: number;
  idleStopMs?: number;
  name?: string;
}

/** One member of the group, persisting trips until stopped. */
export function consumeTrips(options: ConsumeTripsOptions): PipelineRun {
  const book = nameBook();
  return persist<TripMessage>({
    broker: options.broker,
    topic: options.topic,
    group: options.group,
    store: tripsStore(options.store, book),
    table: T.trips,
    schema: tripMessageSchema,
    toRow: (message) => {
      book.note(message);
      return tripRow(message, message.ingestion, options.settings);
    },
    batchSize: options.batchSize ?? 2000,
    ...(options.visibilityTimeoutMs ? { visibilityTimeoutMs: options.visibilityTimeoutMs } : {}),
    ...(options.idleStopMs ? { idleStopMs: options.idleStopMs } : {}),
    name: options.name ?? `consume:${options.topic}`,
  });
}

export async function consumeCommand(argv: string[], shutdown: Shutdown): Promise<void> {
  const usage = 'Usage: pnpm trips consume --broker URL --topic T --group G [--store URL] [--batch N] [--visibility-ms N]';
  const { values } = parseCommandLine(argv, {
    usage,
    options: { broker: { type: 'string' }, store: { type: 'string' }, topic: { type: 'string' }, group: { type: 'string' }, batch: { type: 'string' }, 'visibility-ms': { type: 'string' } },
  });
  const broker = shutdown.own(await openBrokerTarget(parseBrokerUrl(required('broker', values.broker)), { clientId: 'trips-consumer' }));
  const { store, settings } = await openTripsStore(values.store, shutdown);
  const visibility = integerOption('visibility-ms', values['visibility-ms'], { min: 100 });
  const run = shutdown.track(
    consumeTrips({
      broker,
      store,
      settings,
      topic: required('topic', values.topic),
      group: required('group', values.group),
      batchSize: integerOption('batch', values.batch, { min: 1 }) ?? 2000,
      ...(visibility ? { visibilityTimeoutMs: visibility } : {}),
    }),
  );
  const summary = await run.done;
  console.log(JSON.stringify(summary));
  // For the parent (and the benchmark): what this process cost.
  const cost = process.resourceUsage();
  console.error(`trips-consumer-usage ${JSON.stringify({ pid: process.pid, read: summary.read, persisted: summary.persisted, cpuS: (cost.userCPUTime + cost.systemCPUTime) / 1e6, maxRssMb: Math.round(cost.maxRSS / 1024) })}`);
}
