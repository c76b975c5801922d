/**
 * The consumer: persists both topics into their tables in a consumer group, acking only what the
 * store has committed. Records that fail validation land in the store's dead-letter table.
 */
import { combineRuns, persist, type Broker, type PipelineRun, type Store } from '@sluice/core';
import { kinds, tableOf, topicOf, type Names } from './tables.js';

export interface ConsumeOptions {
  broker: Broker;
  store: Store;
  names: Names;
  /** Consumer group (default `sluice-machine-data`). */
  group?: string;
  consumer?: string;
  batchSize?: number;
  /** End once idle this long with no lag (default: run until stopped). */
  idleStopMs?: number;
  handleSignals?: boolean;
}

/** Starts one persist run per topic, combined into one run. */
export function consume(options: ConsumeOptions): PipelineRun {
  const common = {
    broker: options.broker,
    store: options.store,
    group: options.group ?? 'sluice-machine-data',
    ...(options.consumer ? { consumer: options.consumer } : {}),
    ...(options.batchSize ? { batchSize: options.batchSize } : {}),
    ...(options.idleStopMs ? { idleStopMs: options.idleStopMs } : {}),
    ...(options.handleSignals ? { handleSignals: true } : {}),
  };
  return combineRuns(
    (['metrics', 'workorders'] as const).map((kind) =>
      persist<never>({
        ...common,
        name: `consume:${kind}`,
        topic: topicOf(kind, options.names),
        table: tableOf(kind, options.names),
        schema: kinds[kind].schema as never,
        toRow: kinds[kind].toRow as never,
      }),
    ),
  );
}
