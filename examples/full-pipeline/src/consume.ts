/**
 * The consumer: persists both topics into their tables in a consumer group, acking only what the
 * store has committed. Records that fail validation land in the store's dead-letter table.
 */
import { combineRuns, persist, type Broker, type PipelineRun, type Store } from '@sluice/core';
import { groupOf, kindNames, kinds, tableOf, topicOf, type Names } from './tables.js';

/** Options of {@link consume}. */
export interface ConsumeOptions {
  broker: Broker;
  store: Store;
  names: Names;
  /** Consumer group (default `names.group`); each topic is consumed by `<group>.<kind>`. */
  group?: string;
  /** This member's name in the group (default: random). */
  consumer?: string;
  /** Envelopes per delivery at most (default 1000). */
  batchSize?: number;
  /** End once idle this long with no lag (default: run until stopped). */
  idleStopMs?: number;
  /** Stop gracefully on SIGINT/SIGTERM. */
  handleSignals?: boolean;
}

/** Starts one persist run per topic, combined into one run. */
export function consume(options: ConsumeOptions): PipelineRun {
  const group = options.group ?? options.names.group;
  const common = {
    broker: options.broker,
    store: options.store,
    ...(options.consumer ? { consumer: options.consumer } : {}),
    ...(options.batchSize ? { batchSize: options.batchSize } : {}),
    ...(options.idleStopMs ? { idleStopMs: options.idleStopMs } : {}),
    ...(options.handleSignals ? { handleSignals: true } : {}),
  };
  return combineRuns(
    kindNames.map((kind) =>
      persist<never>({
        ...common,
        name: `consume:${kind}`,
        group: groupOf(kind, group),
        topic: topicOf(kind, options.names),
        table: tableOf(kind, options.names),
        schema: kinds[kind].schema as never,
        toRow: kinds[kind].toRow as never,
      }),
    ),
  );
}
