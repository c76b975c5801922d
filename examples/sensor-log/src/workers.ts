/**
 * Scale-out: file names go through a broker topic and N worker processes share them through a
 * consumer group. A worker takes a delivery of up to `unitFiles` file names, loads them as one unit
 * (one transaction), and acks the delivery only after the commit; a worker that dies leaves its
 * files unacked, and the broker hands them to another worker after the visibility timeout. A file
 * loaded twice (a redelivery after a slow commit) is skipped the second time: its checkpoint
 * matches, or its rows' keys refuse the second copy.
 */
import { spawn } from 'node:child_process';
import { Subject } from 'rxjs';
import { consumeUntilStopped, type Broker, type Delivery, type StatusReporter, type Store } from '@sluice/core';
import { WorkerError } from './errors.js';
import { FileLoader, readFileStates, unchanged, type FileOutcome } from './load-file.js';
import { count, defaultUnitFiles, emptySummary, filesToLoad, planOf, DEFAULT_UNIT_FILES, type LoadPlan, type LoadSummary, type TodoFile } from './load.js';

/** The topic and group of a folder's file names. */
export const FILES_TOPIC = 'sensor-log.files';
/** The consumer group of the workers of a topic. */
export const groupOf = (topic: string): string => `${topic}.loaders`;

/** A file name as it travels through the broker. */
export interface FileMessage {
  file: string;
}

/** Options of {@link runWorker}. */
export interface WorkerOptions {
  store: Store;
  broker: Broker;
  dir: string;
  topic?: string;
  group?: string;
  consumer?: string;
  /** After this long unacked a file goes to another worker (default 30 000 ms). */
  visibilityTimeoutMs?: number;
  /** Deliveries (units) loaded at once, each by its own consumer of the group (default 2). */
  lanes?: number;
  /** Most file names per delivery, loaded as one unit (default {@link defaultUnitFiles}). */
  unitFiles?: number;
  /** How often the group's lag is checked to know when everything is done (default 500 ms). */
  pollMs?: number;
  onFile?: (outcome: FileOutcome) => void;
  signal?: AbortSignal;
}

/** Consumes file names and loads them until the group has acked every file of the topic. */
export async function runWorker(options: WorkerOptions): Promise<LoadSummary> {
  const topic = options.topic ?? FILES_TOPIC;
  const group = options.group ?? groupOf(topic);
  const loader = new FileLoader(options.store, options.dir);
  const summary = emptySummary();
  const stop$ = new Subject<void>();
  const handle = async (delivery: Delivery<FileMessage>) => {
    // A redelivery may name a file twice: load it once.
    const files = [...new Set(delivery.envelopes.map((envelope) => envelope.value.file))];
    for (const outcome of await loader.loadUnit(files.map((file) => ({ file })))) {
      count(summary, outcome);
      options.onFile?.(outcome);
    }
    await delivery.ack();
  };
  // Several lanes (consumers of the group) per process: one file decodes while another commits.
  const lanes = Math.max(1, options.lanes ?? 2);
  const consumer = options.consumer ?? `worker-${process.pid}`;
  let stopped = false;
  const finished = Promise.all(
    Array.from(
      { length: lanes },
      (_, lane) =>
        new Promise<void>((resolve, reject) => {
          const deliveries$ = options.broker.consume<FileMessage>(topic, {
            group,
            batchSize: Math.max(1, options.unitFiles ?? defaultUnitFiles(options.store)),
            maxInFlight: 1,
            visibilityTimeoutMs: options.visibilityTimeoutMs ?? 30_000,
            consumer: `${consumer}-${lane}`,
          });
          consumeUntilStopped(deliveries$, stop$, handle).subscribe({ error: reject, complete: resolve });
        }),
    ),
  );
  const poll = async () => {
    while (!stopped) {
      await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 500));
      if (stopped) return;
      if (options.signal?.aborted || (await options.broker.lag(topic, group)).lag === 0) stop$.next();
    }
  };
  void poll().catch(() => stop$.next());
  try {
    await finished;
  } finally {
    stopped = true;
  }
  return summary;
}

/** Options of {@link coordinate}. */
export interface CoordinateOptions {
  store: Store;
  broker: Broker;
  dir: string;
  storeUrl: string;
  brokerUrl: string;
  workers: number;
  visibilityTimeoutMs?: number;
  /** Topic of the file names (default {@link FILES_TOPIC}); the group is the topic + `.loaders`. */
  topic?: string;
  reporter?: StatusReporter;
  /** Extra arguments of the worker command (tests). */
  env?: NodeJS.ProcessEnv;
  /** Called with each worker's pid as it starts (tests kill one). */
  onWorker?: (pid: number) => void;
  /** Most files per unit (default: enough units for every lane of every worker several times over, at most {@link DEFAULT_UNIT_FILES}). */
  unitFiles?: number;
  /** Called once the files to load are known, before the workers start. */
  onPlan?: (plan: LoadPlan) => void;
  /** How often the workers' progress is read from the checkpoints (default 2 000 ms). */
  progressMs?: number;
}

/** The counts of the files of `todo` whose checkpoints show them loaded as they are, and the bytes of those files. */
async function checkpointed(store: Store, todo: readonly TodoFile[]): Promise<{ summary: LoadSummary; bytes: number; missing: string[] }> {
  const states = await readFileStates(store);
  const summary = emptySummary();
  const missing: string[] = [];
  let bytes = 0;
  for (const { file, size, mtimeMs } of todo) {
    const state = states.get(file);
    if (!unchanged(state, size, mtimeMs)) {
      missing.push(file);
      continue;
    }
    bytes += size;
    count(summary, { file, status: state!.quarantined ? 'quarantined' : 'loaded', rows: state!.rows, rejected: state!.rejected, reasons: [] });
  }
  return { summary, bytes, missing };
}

/**
 * Reports to `reporter`, every `everyMs` until stopped, the rows of the files the workers have
 * committed so far (from the checkpoints, so a worker's death costs nothing here); `stop` reports
 * the last of them and resolves with the final reading.
 */
function reportCheckpoints(store: Store, todo: readonly TodoFile[], reporter: StatusReporter | undefined, everyMs: number) {
  let reported = { read: 0, persisted: 0 };
  const report = async () => {
    const now = await checkpointed(store, todo);
    const read = now.summary.rows + now.summary.rejected;
    reporter?.read(read - reported.read, { offset: now.bytes });
    reporter?.persisted(now.summary.rows - reported.persisted);
    reported = { read, persisted: now.summary.rows };
    return now;
  };
  let polling: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    // A slow read is not stacked on by the next tick; a failed one is retried at the next.
    polling = polling.then(report).catch(() => undefined);
  }, everyMs);
  return {
    stop: async () => {
      clearInterval(timer);
      await polling;
      return report();
    },
  };
}

/**
 * V8 heap settings of the worker processes, each unless this process's command line or
 * NODE_OPTIONS sets it. With Node's defaults V8 lets the old generation grow to ~4 times its live
 * set (~30 MB, mostly modules) before collecting, and how far it goes depends on timing: a
 * worker's peak RSS measured 280–410 MB on a day of files. A 600 MB old-space cap (below 1 GB V8
 * grows by less) keeps it at ~1.5 times; a 32 MB semi-space keeps the young generation from
 * shrinking with the cap (a unit's rows then die young instead of being promoted). Measured: 234–252
 * MB per worker on a day, 245 MB on the month; the cost is ~10–20 % more CPU in the workers.
 */
const WORKER_HEAP_FLAGS = ['--max-old-space-size=600', '--max-semi-space-size=32'];

function workerHeapFlags(): string[] {
  const given = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
  return WORKER_HEAP_FLAGS.filter((flag) => !given.some((arg) => arg.startsWith(flag.slice(0, flag.indexOf('=')))));
}

/** Files per unit for `files` files shared by `lanes` consumers: about 4 units per lane, 1 to {@link DEFAULT_UNIT_FILES} files each. */
export function unitFilesFor(files: number, lanes: number): number {
  return Math.max(1, Math.min(DEFAULT_UNIT_FILES, Math.floor(files / (4 * Math.max(1, lanes)))));
}

/**
 * Publishes the names of the files to load, starts `workers` worker processes (this program's
 * `worker` command) and waits for them. The counts come from the checkpoints, not from the
 * workers' reports, so they are exact even when a worker was killed.
 */
export async function coordinate(options: CoordinateOptions): Promise<LoadSummary> {
  const { store, broker, dir } = options;
  const { todo, skipped } = await filesToLoad(store, dir);
  options.onPlan?.(planOf(todo));
  // The files' source_file rows in a few transactions here, not one more commit per file in the workers.
  await new FileLoader(store, dir).addFiles(todo.map((t) => t.file));
  const now = Date.now();
  const topic = options.topic ?? FILES_TOPIC;
  await broker.publish<FileMessage>(
    topic,
    todo.map(({ file }) => ({ key: file, value: { file }, timestamp: now, headers: {} })),
  );
  const args = (i: number) => [
    ...process.execArgv,
    ...workerHeapFlags(),
    process.argv[1]!,
    'worker',
    dir,
    '--store',
    options.storeUrl,
    '--broker',
    options.brokerUrl,
    '--topic',
    topic,
    '--consumer',
    `worker-${process.pid}-${i}`,
    '--unit-files',
    String(options.unitFiles ?? (store.name === 'pg' ? unitFilesFor(todo.length, options.workers * 2) : 1)),
    ...(options.visibilityTimeoutMs ? ['--visibility-ms', String(options.visibilityTimeoutMs)] : []),
  ];
  const progress = reportCheckpoints(store, todo, options.reporter, options.progressMs ?? 2000);
  const exited = Promise.all(
    Array.from({ length: options.workers }, (_, i) =>
      new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
        const child = spawn(process.execPath, args(i), { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, ...options.env } });
        if (child.pid !== undefined) {
          console.error(`worker ${i + 1} of ${options.workers}: pid ${child.pid}`);
          options.onWorker?.(child.pid);
        }
        child.on('error', reject);
        child.on('exit', (code, signal) => resolve({ code, signal }));
      }),
    ),
  );
  const exits = await exited.catch(async (error: unknown) => {
    await progress.stop().catch(() => undefined);
    throw error;
  });
  // The counts come from the checkpoints, so they are exact even when a worker was killed.
  const { summary, missing } = await progress.stop();
  summary.skipped = skipped;
  const failed = exits.filter((e) => e.code !== 0);
  if (missing.length > 0) {
    throw new WorkerError(
      `${missing.length} of ${todo.length} files were not loaded (first: ${missing[0]}); ${failed.length} of ${options.workers} workers failed ` +
        `(${failed.map((e) => e.signal ?? `exit ${e.code}`).join(', ')}). Run the load again: loaded files are skipped.`,
    );
  }
  if (failed.length > 0) console.error(`${failed.length} worker(s) ended abnormally (${failed.map((e) => e.signal ?? `exit ${e.code}`).join(', ')}); the others finished their files.`);
  return summary;
}
