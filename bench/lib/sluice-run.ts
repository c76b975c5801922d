/**
 * Helpers of the Sluice workers: the trips source, the ingest and persist runs every broker path
 * uses (batching from the worker config), and ending a consumer once it has persisted N rows.
 */
import { csvSource, ingest, persist, type Broker, type PipelineRun, type PipelineSummary, type Source, type Store } from '@sluice/core';
import { need, type WorkerConfig } from './config.js';
import type { WorkClock } from './worker.js';
import { TRIP_CSV_TYPES, tripKey, type Trip } from './trips.js';

/** The trips file as a Sluice CSV source (coordinates typed as numbers). */
export function tripSource(file: string): Source<unknown> {
  return csvSource({ path: file, name: 'trips.csv', types: TRIP_CSV_TYPES });
}

/** csvSource → ingest → `broker` topic `config.topic`, batched as the config says. */
export function ingestTrips(broker: Broker, config: WorkerConfig): PipelineRun {
  return ingest<Trip>({
    source: tripSource(config.file),
    broker,
    topic: need(config, 'topic', 'ingest'),
    key: tripKey,
    batchSize: config.batchSize,
    ...(config.maxBuffered ? { maxBuffered: config.maxBuffered } : {}),
  });
}

/** `broker` topic `config.topic` → persist (group `config.group`) → `store` table `config.table`. */
export function persistTrips(broker: Broker, store: Store, config: WorkerConfig): PipelineRun {
  return persist<Trip>({
    broker,
    topic: need(config, 'topic', 'persist'),
    group: need(config, 'group', 'persist'),
    store,
    table: config.table,
    toRow: (trip) => trip,
    batchSize: config.batchSize,
    ...(config.maxInFlight ? { maxInFlight: config.maxInFlight } : {}),
  });
}

/**
 * Resolves with the run's summary after it has persisted `rows` rows: at that moment the clock
 * stops and the run is stopped (it drains and acks what it holds). Rejects if the run fails or
 * ends before, or if anything was rejected.
 */
export async function untilPersisted(run: PipelineRun, rows: number, clock: WorkClock): Promise<PipelineSummary> {
  const subscription = run.status$.subscribe((event) => {
    if (event.type === 'persisted' && event.total >= rows) {
      clock.end();
      void run.stop();
    }
  });
  try {
    return assertClean(await run.done, rows, 'persisted');
  } finally {
    subscription.unsubscribe();
  }
}

/** The summary, if `field` reached `rows` and nothing was rejected; otherwise an error saying what happened. */
export function assertClean(summary: PipelineSummary, rows: number, field: 'persisted' | 'published'): PipelineSummary {
  if (summary.rejected > 0 || summary[field] < rows) {
    throw new Error(`expected ${rows} rows ${field} and none rejected, got ${JSON.stringify(summary)}`);
  }
  return summary;
}
