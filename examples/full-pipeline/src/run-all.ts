/**
 * The whole job in one command: the streaming API serves the files (in this process, or in a
 * process of its own with `apiProcess`), the producer reads it over HTTP and publishes, the
 * consumer persists, and the ETL writes the report once the consumers have caught up.
 */
import { stat } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { Subject, map, merge, type Observable } from 'rxjs';
import { createProgressView, type ProgressTotal, type Shutdown } from '@sluice/runtime';
import { quoteIdentifier, sleep, type Broker, type CorrelationResult, type DeadLetter, type PipelineRun, type PipelineSummary, type StatusEvent, type Store } from '@sluice/core';
import { consume } from './consume.js';
import { readDeadLettersSince } from './dead-letter-summary.js';
import { produce } from './produce.js';
import { writeReport, type ReportFiles } from './report.js';
import { startApiProcess } from './server/api-process.js';
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
  /**
   * Run the API in a child process of its own (default false: in this process). The child is
   * started with this process's `execArgv`, so the caller must run under tsx (as `pnpm
   * full-pipeline` does); the progress view then also shows percent and ETA from the file sizes.
   */
  apiProcess?: boolean;
  /** Envelopes per consumer delivery, i.e. rows per store transaction (default: `consume`'s). */
  consumerBatchSize?: number;
}

/** What a whole run did. */
export interface RunAllResult extends IngestionResult {
  files: ReportFiles;
  result: CorrelationResult;
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

/** The API and how the run talks to it, wherever it runs. */
interface Api {
  url: string;
  /** Byte offsets the API has served up to, per file (only from an API process). */
  reads$?: Observable<{ kind: Kind; offset: number }>;
  forward(status$: Observable<StatusEvent>): () => void;
  close(): Promise<void>;
}

async function startApi(options: RunAllOptions): Promise<Api> {
  const speed = options.speed ? { speed: options.speed } : {};
  if (options.apiProcess) return startApiProcess({ files: options.files, ...speed, host: '127.0.0.1', port: options.port ?? 0 });
  // Loaded only here: with an API process, this process never loads the HTTP server's code.
  const { buildServer } = await import('./server/app.js');
  const status$ = new Subject<StatusEvent>();
  const server = buildServer({ stream: { files: options.files, ...speed }, status$ });
  await server.listen({ host: '127.0.0.1', port: options.port ?? 0 });
  return {
    url: `http://127.0.0.1:${(server.server.address() as AddressInfo).port}`,
    forward: (events$) => {
      const subscription = events$.subscribe(status$);
      return () => subscription.unsubscribe();
    },
    close: async () => {
      status$.complete();
      await server.close();
    },
  };
}

/**
 * Progress of the producers through the files, for percent and ETA: the API's read offsets as
 * `read` events of the producer pipelines (carrying the producer's own read count), with the
 * file sizes as totals. The API is ahead of the producer by what the socket buffers, no more.
 */
async function fileProgress(api: Api, producer: PipelineRun, files: Record<Kind, string>): Promise<{ events$: Observable<StatusEvent>; totals: Record<string, ProgressTotal> } | undefined> {
  if (!api.reads$) return undefined;
  const totals: Record<string, ProgressTotal> = {};
  for (const kind of kindNames) totals[`produce:${kind}`] = { bytes: (await stat(files[kind])).size };
  const readSoFar = new Map<string, number>();
  producer.status$.subscribe((event) => event.type === 'read' && readSoFar.set(event.pipeline, event.total));
  const events$ = api.reads$.pipe(
    map(({ kind, offset }): StatusEvent => {
      const pipeline = `produce:${kind}`;
      return { type: 'read', pipeline, at: Date.now(), count: 0, total: readSoFar.get(pipeline) ?? 0, position: { offset } };
    }),
  );
  return { events$, totals };
}

/** What the ingestion part of a run did. */
export interface IngestionResult {
  produced: PipelineSummary;
  consumed: PipelineSummary;
  /** Dead letters this run wrote (producer and consumer), with their reasons. */
  deadLetters: DeadLetter[];
}

/**
 * Runs API, producer and consumer until the consumers have persisted everything the files hold;
 * the tables are emptied first. The report is left to the caller.
 */
export async function runIngestion(options: RunAllOptions): Promise<IngestionResult> {
  const { broker, store, names } = options;
  const startedAt = Date.now();
  await store.migrate(machineTables(names));
  for (const table of [names.metricsTable, names.workordersTable]) await store.query(`DELETE FROM ${quoteIdentifier(table)}`);
  const api = await startApi(options);
  const producer = produce({ broker, names, input: { api: api.url }, store });
  const consumer = consume({ broker, store, names, ...(options.consumerBatchSize ? { batchSize: options.consumerBatchSize } : {}) });
  options.shutdown?.track(producer);
  options.shutdown?.track(consumer);
  const all$ = merge(producer.status$, consumer.status$);
  const stopForwarding = api.forward(all$);
  const progress = options.progress === false ? undefined : createProgressView();
  const files = progress ? await fileProgress(api, producer, options.files) : undefined;
  progress?.track(files ? merge(all$, files.events$) : all$, files ? { totals: files.totals } : {});
  try {
    const produced = await producer.done;
    await caughtUp(broker, names, consumer);
    const consumed = await consumer.stop();
    progress?.close();
    const deadLetters = await readDeadLettersSince(store, names, startedAt);
    return { produced, consumed, deadLetters };
  } finally {
    await consumer.stop().catch(() => undefined);
    progress?.close();
    stopForwarding();
    await api.close();
  }
}

/** Runs API, producer, consumer and then the report, all in this process; the tables are emptied first. */
export async function runAll(options: RunAllOptions): Promise<RunAllResult> {
  const ingestion = await runIngestion(options);
  const { files, result } = await writeReport(options.store, options.names, options.out);
  return { ...ingestion, files, result };
}
