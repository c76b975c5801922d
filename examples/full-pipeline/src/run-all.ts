/**
 * Everything in one process: the streaming API serves the files, the producer reads it over HTTP
 * and publishes, the consumer persists, and the ETL writes the report once the consumers have
 * caught up.
 */
import type { AddressInfo } from 'node:net';
import { Subject, merge } from 'rxjs';
import { quoteIdentifier, sleep, type Broker, type PipelineSummary, type StatusEvent, type Store } from '@sluice/core';
import { consume } from './consume.js';
import { produce } from './produce.js';
import { showProgress } from './progress.js';
import { writeReport, type ReportFiles } from './report.js';
import { buildServer } from './server/app.js';
import { machineTables, topicOf, type Kind, type Names } from './tables.js';

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
}

export interface RunAllResult {
  produced: PipelineSummary;
  consumed: PipelineSummary;
  files: ReportFiles;
  products: number;
}

const group = 'sluice-machine-data';

/** Waits until the group has acked everything published to the topics. */
async function caughtUp(broker: Broker, topics: readonly string[], failed: () => unknown): Promise<void> {
  for (;;) {
    const lags = await Promise.all(topics.map((topic) => broker.lag(topic, group)));
    if (lags.every((l) => l.lag === 0)) return;
    const error = failed();
    if (error) throw error;
    await sleep(100);
  }
}

export async function runAll(options: RunAllOptions): Promise<RunAllResult> {
  const { broker, store, names } = options;
  await store.migrate(machineTables(names));
  for (const table of [names.metricsTable, names.workordersTable]) await store.query(`DELETE FROM ${quoteIdentifier(table)}`);
  const status$ = new Subject<StatusEvent>();
  const server = buildServer({ stream: { files: options.files, ...(options.speed ? { speed: options.speed } : {}) }, status$ });
  await server.listen({ host: '127.0.0.1', port: options.port ?? 0 });
  const api = `http://127.0.0.1:${(server.server.address() as AddressInfo).port}`;
  try {
    const producer = produce({ broker, names, input: { api }, store, handleSignals: true });
    const consumer = consume({ broker, store, names, group, handleSignals: true });
    let consumerError: unknown;
    consumer.done.catch((error: unknown) => (consumerError = error));
    const all$ = merge(producer.status$, consumer.status$);
    const forward = all$.subscribe(status$);
    const progress = options.progress === false ? undefined : showProgress('pipeline', all$);
    const produced = await producer.done;
    await caughtUp(broker, (['metrics', 'workorders'] as const).map((k) => topicOf(k, names)), () => consumerError);
    const consumed = await consumer.stop();
    progress?.unsubscribe();
    forward.unsubscribe();
    const { files, result } = await writeReport(store, names, options.out);
    return { produced, consumed, files, products: result.products.length };
  } finally {
    status$.complete();
    await server.close();
  }
}
