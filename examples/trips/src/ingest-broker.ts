/**
 * Broker-mode ingestion: this process reads and checks the files and publishes trips to a topic of
 * their own; N consumer processes (`trips consume`, started here) persist them in one consumer
 * group, so more machines can share the work. When every file is published and the group's lag is
 * 0 (everything acked, hence committed), the consumers are stopped and the counts read back.
 * A consumer that dies is started again; its unacked deliveries go to the others after the
 * visibility timeout, and the store's merge makes the rewrite harmless.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { ingest, sleep, storeDeadLetters, type PipelineRun, type Store } from '@sluice/core';
import { createProgressView, openBrokerTarget, parseBrokerUrl, redact, type Shutdown } from '@sluice/runtime';
import { consumeTrips } from './consume.js';
import { IngestionLossError } from './errors.js';
import { fileStream, tripsCsv, newIngestionId, newTrips, type IngestCounts } from './ingest.js';
import { analyzeModel } from './model.js';
import { tripKey, tripSchema, type Trip, type TripSettings } from './trip.js';

/** Options of {@link ingestThroughBroker}. */
export interface BrokerIngestOptions {
  store: Store;
  storeUrl: string;
  brokerUrl: string;
  files: readonly string[];
  settings: TripSettings;
  consumers: number;
  batchSize: number;
  shutdown: Shutdown;
  visibilityTimeoutMs?: number;
  /** Called with each consumer process as it starts (tests kill one). */
  onConsumer?: (child: ChildProcess) => void;
}

const GROUP = 'trips-loaders';
/** How long consumers get to stop after SIGTERM once the ingestion is done, before SIGKILL. */
const STOP_GRACE_MS = 10_000;

export async function ingestThroughBroker(options: BrokerIngestOptions): Promise<IngestCounts> {
  const target = parseBrokerUrl(options.brokerUrl);
  const broker = options.shutdown.own(await openBrokerTarget(target, { clientId: 'trips-ingest' }));
  const ingestion = newIngestionId();
  const topic = `trips.${ingestion}`;
  const visibility = options.visibilityTimeoutMs ?? 10_000;
  const view = createProgressView();

  // Consumers: processes for a server broker, runs in this process for the in-memory one.
  const children = new Set<ChildProcess>();
  /** Envelopes each ended consumer took (NaN: it did not say, e.g. it was killed). */
  const taken: number[] = [];
  const local: PipelineRun[] = [];
  let finished = false;
  let restarts = 0;
  const startChild = () => {
    const script = process.argv[1]!;
    const args = [...process.execArgv, script, 'consume', '--broker', options.brokerUrl, '--store', options.storeUrl, '--topic', topic, '--group', GROUP, '--batch', String(options.batchSize), '--visibility-ms', String(visibility)];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, SLUICE_PROGRESS_INTERVAL_MS: '600000' } });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
    children.add(child);
    options.onConsumer?.(child);
    child.on('exit', (code, signal) => {
      children.delete(child);
      const usage = /trips-consumer-usage (.*)/.exec(stderr);
      if (usage) {
        console.error(usage[0]);
        taken.push(Number((JSON.parse(usage[1]!) as { read?: number }).read ?? Number.NaN));
      } else taken.push(Number.NaN);
      if (finished) return;
      restarts++;
      console.error(`trips: consumer ${child.pid} ended (${signal ?? `exit ${code}`}) before the ingestion finished${stderr ? `: ${redact(stderr.trim().split('\n').pop() ?? '')}` : ''}; starting another`);
      if (restarts <= 5 * options.consumers) startChild();
    });
  };
  if (target.kind === 'memory') {
    for (let i = 0; i < options.consumers; i++) {
      const run = consumeTrips({ broker, store: options.store, settings: options.settings, topic, group: GROUP, batchSize: options.batchSize, visibilityTimeoutMs: visibility, name: `consume:${i + 1}` });
      local.push(options.shutdown.track(run));
      view.track(run.status$);
    }
  } else {
    for (let i = 0; i < options.consumers; i++) startChild();
  }

  const totals = { read: 0, rejected: 0 };
  try {
    for (const path of options.files) {
      const { stream, size } = await fileStream(path);
      const ingestionSchema = tripSchema.transform((trip: Trip) => ({ ...trip, ingestion }));
      const run = options.shutdown.track(
        ingest({
          source: tripsCsv(path, path),
          broker,
          topic,
          schema: ingestionSchema,
          key: tripKey,
          timestamp: (trip) => trip.at,
          deadLetters: storeDeadLetters(options.store),
          checkpoints: options.store,
          stream: `${stream}:broker`,
          batchSize: options.batchSize,
          name: `publish:${path}`,
        }),
      );
      view.track(run.status$, { totals: { [`publish:${path}`]: { bytes: size } } });
      const summary = await run.done;
      totals.read += summary.read;
      totals.rejected += summary.rejected;
      if (summary.stopped) break;
      await options.store.write({ rows: [], checkpoint: { stream: `${stream}:broker`, position: {} } });
    }
    // Everything published: wait until the group has acked it all (acks follow commits).
    for (;;) {
      const { lag } = await broker.lag(topic, GROUP);
      if (lag === 0 || options.shutdown.stopping) break;
      if (target.kind !== 'memory' && children.size === 0) throw new Error(`every consumer of ${topic} ended with ${lag} trips left; see the lines above`);
      await sleep(200);
    }
  } finally {
    finished = true;
    for (const run of local) await run.stop();
    const exits = [...children].map((child) => once(child, 'exit'));
    for (const child of children) child.kill('SIGTERM');
    // A consumer that does not stop within the grace period is killed: the ingestion is over and
    // everything acked is committed, so nothing is lost, and a hung shutdown cannot hang this run.
    const grace = setTimeout(() => {
      for (const child of children) {
        console.error(`trips: consumer ${child.pid} did not stop within ${STOP_GRACE_MS / 1000} s of SIGTERM; killing it (what it acked is committed)`);
        child.kill('SIGKILL');
      }
    }, STOP_GRACE_MS);
    await Promise.all(exits);
    clearTimeout(grace);
    view.close();
  }
  for (const run of local) taken.push((await run.done).read);
  const published = totals.read - totals.rejected;
  const consumed = taken.reduce((sum, n) => sum + n, 0);
  // Redeliveries only add to what consumers take: fewer than were published means the broker lost
  // some (a Kafka topic whose retention deleted records before they were read, say). Not known when
  // a consumer ended without saying what it took.
  if (!options.shutdown.stopping && Number.isFinite(consumed) && consumed < published) {
    throw new IngestionLossError(
      `${published - consumed} of the ${published} trips published to ${redact(options.brokerUrl)} (topic ${topic}) never reached a consumer ` +
        `(the consumers took ${consumed}): the broker lost them. Check the topic's retention and the broker's log, then ingest the file again: ` +
        'trips already stored are not counted twice.',
    );
  }
  const persisted = await newTrips(options.store, ingestion);
  if (persisted > 0) await analyzeModel(options.store);
  return { read: totals.read, persisted, rejected: totals.rejected, duplicates: totals.read - persisted - totals.rejected };
}
