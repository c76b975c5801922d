/**
 * The producer: reads metrics and work orders (from the streaming APIs, or straight from files)
 * and publishes them to the broker. With a checkpoint store it is incremental: after a restart it
 * publishes only what is new since the last run.
 */
import { combineRuns, httpSource, ingest, jsonArraySource, storeDeadLetters, topicDeadLetters, type Broker, type PipelineRun, type Source, type Store } from '@sluice/core';
import { kindNames, kinds, qualified, topicOf, type Kind, type Names } from './tables.js';

/** Where the producer reads from. */
export type ProducerInput = { api: string } | { files: Record<Kind, string> };

/** Options of {@link produce}. */
export interface ProduceOptions {
  broker: Broker;
  names: Names;
  input: ProducerInput;
  /** The store for the producer's dead letters (else the topic `<topic>.dead-letters`). */
  store?: Store;
  /** Incremental mode: keep each source's cursor in `store` and resume after it. */
  incremental?: boolean;
  /** Records per published batch (default 1000). */
  batchSize?: number;
  /** Stop gracefully on SIGINT/SIGTERM. */
  handleSignals?: boolean;
}

/**
 * The source of one kind of record. Its name (`api:metrics`, `file:workorders`, prefixed when the
 * names are) is the checkpoint stream of incremental mode and the origin of its dead letters.
 */
export function sourceOf(kind: Kind, input: ProducerInput, names: Names): Source<unknown> {
  return 'api' in input
    ? httpSource({ url: `${input.api.replace(/\/$/, '')}/${kind}`, name: qualified(names, `api:${kind}`) })
    : jsonArraySource({ path: input.files[kind], name: qualified(names, `file:${kind}`) });
}

/** Starts one ingest run per kind; the combined run ends when both sources are exhausted. */
export function produce(options: ProduceOptions): PipelineRun {
  return combineRuns(
    kindNames.map((kind) => {
      const spec = kinds[kind];
      const topic = topicOf(kind, options.names);
      return ingest<never>({
        name: `produce:${kind}`,
        source: sourceOf(kind, options.input, options.names),
        broker: options.broker,
        topic,
        schema: spec.schema as never,
        key: spec.key as (value: never) => string,
        timestamp: spec.time as (value: never) => number,
        deadLetters: options.store ? storeDeadLetters(options.store) : topicDeadLetters(options.broker, `${topic}.dead-letters`),
        ...(options.store && options.incremental ? { checkpoints: options.store } : {}),
        ...(options.batchSize ? { batchSize: options.batchSize } : {}),
        ...(options.handleSignals ? { handleSignals: true } : {}),
      });
    }),
  );
}
