/**
 * Bulk ingestion's first half for one file (bulk.ts has the second): every row COPYed into the
 * run's staging partition. One reader costs about 17 µs of CPU per row, PostgreSQL's COPY into an
 * unlogged table a few, so a single reader leaves a core idle: a large file is cut into byte
 * ranges at row boundaries (core's `csvSplits`), this process reads the first and a
 * `trips stage-range` process each other one. Rows keep the line numbers of a whole read, so
 * dead letters say where a row is in the file.
 *
 * Their status events are merged into one pipeline: counts summed, and the bytes done of every
 * range summed, so that percent and ETA are of the whole file.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { csvSplits, load, type CsvRange, type PipelineRun, type PipelineSummary, type Row, type StatusEvent, type Store } from '@sluice/core';
import { redact } from '@sluice/runtime';
import { StagingError } from './errors.js';
import { tripsCsv } from './ingest.js';
import { T } from './model.js';
import { tripSchema, type Trip } from './trip.js';

/** A file is cut only into ranges of at least this many bytes: a process costs more than it saves below. */
export const MIN_RANGE_BYTES = 64 << 20;

/** One file to stage. */
export interface StageFileOptions {
  /** The trips store (model.ts's `tripsStore`) that rows are written through. */
  store: Store;
  toRow: (trip: Trip) => Row;
  path: string;
  /** The file's name in status events and dead letters. */
  name: string;
  pipeline: string;
  batchSize?: number;
  /**
   * Readers at once, and how to start one for a range: `trips stage-range` arguments are built
   * here, the command line to run them (node, its flags, the script) is the caller's.
   */
  readers?: { count: number; storeUrl: string; ingestion: number; command: readonly string[]; minRangeBytes?: number; size: number };
}

/** A running staging of one file. */
export interface StageRun {
  done: Promise<PipelineSummary>;
  stop(): Promise<void>;
}

/** The staging load of one range of a file (the whole file when `range` is not given). */
export function stageRange(options: Omit<StageFileOptions, 'readers'>, range?: CsvRange): PipelineRun {
  return load<Trip>({
    source: tripsCsv(options.path, options.name, range?.end),
    ...(range?.from ? { from: range.from } : {}),
    store: options.store,
    schema: tripSchema,
    toRow: options.toRow,
    name: options.pipeline,
    ...(options.batchSize ? { batchSize: options.batchSize } : {}),
    // Staged rows are lost in a crash: no checkpoint may promise them.
    table: T.staged,
    checkpoints: false,
    writers: 1,
  });
}

/** Stages a file, in ranges when it is large and more than one reader is allowed. */
export async function stageFile(options: StageFileOptions, emit: (event: StatusEvent) => void): Promise<StageRun> {
  const readers = options.readers;
  const count = readers === undefined ? 1 : Math.min(readers.count, Math.floor(readers.size / (readers.minRangeBytes ?? MIN_RANGE_BYTES)));
  const ranges = count > 1 ? await csvSplits(options.path, count) : [];
  if (readers === undefined || ranges.length < 2) {
    const run = stageRange(options);
    const subscription = run.status$.subscribe({ next: emit, error: () => undefined });
    return { done: run.done.finally(() => subscription.unsubscribe()), stop: async () => void (await run.stop()) };
  }
  const merged = mergedStatus(options.pipeline, ranges, emit);
  const run = stageRange(options, ranges[0]);
  const subscription = run.status$.subscribe({ next: (event) => merged.take(0, event), error: () => undefined });
  const children: ChildProcess[] = [];
  const ends: Promise<PipelineSummary>[] = [run.done.finally(() => subscription.unsubscribe())];
  for (let k = 1; k < ranges.length; k++) {
    const { child, done } = startRangeProcess(options, readers, ranges[k]!, (event) => merged.take(k, event));
    children.push(child);
    ends.push(done);
  }
  let stopping = false;
  const stop = async () => {
    stopping = true;
    for (const child of children) {
      if (child.exitCode !== null || child.signalCode !== null) continue;
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS).unref();
    }
    await run.stop();
  };
  // One range failing stops the others at once: their rows would be dropped with the run's staging anyway.
  for (const end of ends) end.catch(() => (stopping ? undefined : stop().catch(() => undefined)));
  const done = (async () => {
    const results = await Promise.allSettled(ends);
    const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failure) throw failure.reason;
    const summaries = results.map((r) => (r as PromiseFulfilledResult<PipelineSummary>).value);
    return merged.done(summaries, stopping || summaries.some((s) => s.stopped));
  })();
  return { done, stop };
}

/** How long a range process gets to stop after SIGTERM before it is killed. */
const STOP_GRACE_MS = 10_000;

/** Starts `trips stage-range` for one range; its stdout carries its status events, a JSON object a line. */
function startRangeProcess(
  options: StageFileOptions,
  readers: NonNullable<StageFileOptions['readers']>,
  range: CsvRange,
  take: (event: StatusEvent) => void,
): { child: ChildProcess; done: Promise<PipelineSummary> } {
  const from = range.from!;
  const args = [
    ...readers.command,
    'stage-range',
    options.path,
    '--store',
    readers.storeUrl,
    '--ingestion',
    String(readers.ingestion),
    '--name',
    options.name,
    '--after',
    `${from.offset}:${from.line}`,
    '--end',
    String(range.end),
    ...(options.batchSize ? ['--batch', String(options.batchSize)] : []),
  ];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SLUICE_PROGRESS_INTERVAL_MS: '600000' } });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    const text = chunk.toString();
    stderr = (stderr + text).slice(-4000);
    // The range's cost, for the benchmark (a line like the consumers' `trips-consumer-usage`).
    const usage = /trips-stage-usage .*/.exec(text);
    if (usage) process.stderr.write(`${usage[0]}\n`);
  });
  let summary: PipelineSummary | undefined;
  const lines = createInterface({ input: child.stdout! });
  lines.on('line', (line) => {
    let event: StatusEvent;
    try {
      event = JSON.parse(line) as StatusEvent;
    } catch {
      return; // not a status line
    }
    if (event.type === 'done') summary = event.summary;
    take(event);
  });
  const done = (async () => {
    const [code, signal] = (await once(child, 'close')) as [number | null, NodeJS.Signals | null];
    if (code === 0 && summary !== undefined) return summary;
    const last = redact(stderr.trim().split('\n').filter((l) => !l.startsWith('trips-stage-usage')).pop() ?? '');
    throw new StagingError(
      `the reader of bytes ${from.offset}-${range.end} of ${options.path} ended (${signal ?? `exit ${code}`}) before it finished${last ? `: ${last}` : ''}. ` +
        'Nothing of this run was moved into trips; run the ingestion again.',
    );
  })();
  return { child, done };
}

/**
 * The status of several ranges as one pipeline's: each range's running totals kept, their sums
 * emitted; a `read` says the bytes done of all ranges as its offset (for percent of the file).
 */
function mergedStatus(pipeline: string, ranges: readonly CsvRange[], emit: (event: StatusEvent) => void) {
  const zero = () => ({ read: 0, persisted: 0, rejected: 0, bytes: 0 });
  const state = ranges.map(zero);
  const sum = (key: 'read' | 'persisted' | 'rejected' | 'bytes') => state.reduce((total, s) => total + s[key], 0);
  let started = false;
  return {
    take(k: number, event: StatusEvent): void {
      const s = state[k]!;
      const at = event.at;
      switch (event.type) {
        case 'started':
          if (!started) emit({ pipeline, at, type: 'started' });
          started = true;
          return;
        case 'read': {
          const count = event.total - s.read;
          s.read = event.total;
          if (event.position?.offset !== undefined) s.bytes = event.position.offset - (ranges[k]!.from?.offset ?? 0);
          return emit({ pipeline, at, type: 'read', count, total: sum('read'), position: { offset: sum('bytes') } });
        }
        case 'persisted':
        case 'rejected': {
          const count = event.total - s[event.type];
          s[event.type] = event.total;
          return emit(event.type === 'rejected' ? { ...event, pipeline, count, total: sum('rejected') } : { pipeline, at, type: 'persisted', count, total: sum('persisted') });
        }
        case 'done':
          return; // one done for all ranges: see `done`
        default:
          return emit({ ...event, pipeline });
      }
    },
    /** The summary of all ranges, emitted as the pipeline's `done`. */
    done(summaries: readonly PipelineSummary[], stopped: boolean): PipelineSummary {
      const total = (key: 'read' | 'persisted' | 'rejected' | 'published') => summaries.reduce((n, s) => n + s[key], 0);
      const summary = { read: total('read'), published: total('published'), persisted: total('persisted'), rejected: total('rejected'), stopped };
      emit({ pipeline, at: Date.now(), type: 'done', summary });
      return summary;
    },
  };
}
