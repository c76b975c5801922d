/**
 * Everything in one process: the streaming API serves the files, the producer reads it over HTTP
 * and publishes, the consumer persists, and the ETL writes the report once the consumers have
 * caught up.
 */
import type { AddressInfo } from 'node:net';
import { Subject, merge } from 'rxjs';
import { createProgressView, type Shutdown } from '@sluice/runtime';
import { quoteIdentifier, sleep, type Broker, type CorrelationResult, type DeadLetter, type PipelineRun, type PipelineSummary, type StatusEvent, type Store } from '@sluice/core';
import { consume } from './consume.js';
import { readDeadLettersSince } from './dead-letter-summary.js';
import { produce } from './produce.js';
import { writeReport, type ReportFiles } from './report.js';
import { buildServer } from './server/app.js';
import { groupOf, kindNames, machineTables, topicOf, type Kind, type Names } from './tables.js';

/** Options of {@link runAll}. */
export interface RunAllOptions {
  broker: Broker;
  store: Store;
  names: Names;
  files: Record<Kind, string>;
  out: string;
  /** Replay pacing of the API (default: as fast as possible). */
  speed?: number;
  /** Port of the API (default: any free port). */
  port?: number;
  /** Show progress on stderr (default true). */
  progress?: boolean;
  /** Stops the producer and consumer gracefully on SIGINT/SIGTERM (the CLI passes its own). */
  shutdown?: Shutdown;
}

/** What a whole run did. */
export interface RunAllResult {
  produced: PipelineSummary;
  consumed: PipelineSummary;
  files: ReportFiles;
  result: CorrelationResult;
  /** Dead letters this run wrote (producer and consumer), with their reasons. */
  deadLetters: DeadLetter[];
}

/**
 * Waits until the group has acked everything published to the topics. Returns early when the
 * consumer ends by itself (stopped by a signal) and throws when it fails.
 */
async function caughtUp(broker: Broker, names: Names, consumer: PipelineRun): Promise<void> {
  let ended = false;
  consumer.done.then(
    () => (ended = true),
    () => (ended = true),
  );
  for (;;) {
    const lags = await Promise.all(kindNames.map((kind) => broker.lag(topicOf(kind, names), groupOf(kind, names.group))));
    if (lags.every((l) => l.lag === 0)) return;
    if (ended) {
      await consumer.done; // throws the consumer's error, if it failed
      return;
    }
    await sleep(100);
  }
}

/** Runs API, producer, consumer and report in this process; the tables are emptied first. */
export async function runAll(options: RunAllOptions): Promise<RunAllResult> {
  const { broker, store, names } = options;
  const startedAt = Date.now();
  await store.migrate(machineTables(names));
  for (const table of [names.metricsTable, names.workordersTable]) await store.query(`DELETE FROM ${quoteIdentifier(table)}`);
  const status$ = new Subject<StatusEvent>();
  const server = buildServer({ stream: { files: options.files, ...(options.speed ? { speed: options.speed } : {}) }, status$ });
  await server.listen({ host: '127.0.0.1', port: options.port ?? 0 });
  const api = `http://127.0.0.1:${(server.server.address() as AddressInfo).port}`;
  const producer = produce({ broker, names, input: { api }, store });
  const consumer = consume({ broker, store, names });
  options.shutdown?.track(producer);
  options.shutdown?.track(consumer);
  const all$ = merge(producer.status$, consumer.status$);
  const forward = all$.subscribe(status$);
  const progress = options.progress === false ? undefined : createProgressView();
  progress?.track(all$);
  try {
    const produced = await producer.done;
    await caughtUp(broker, names, consumer);
    const consumed = await consumer.stop();
    progress?.close();
    const { files, result } = await writeReport(store, names, options.out);
    const deadLetters = await readDeadLettersSince(store, names, startedAt);
    return { produced, consumed, files, result, deadLetters };
  } finally {
    await consumer.stop().catch(() => undefined);
    progress?.close();
    forward.unsubscribe();
    status$.complete();
    await server.close();
  }
}
