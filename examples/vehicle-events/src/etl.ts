/**
 * The ETL: the lake's files → the fact tables, file by file, each through core's NDJSON source.
 *
 * - Every file has its own checkpoint stream (`vehicle-events:data/DAY/FILE`), whose position is
 *   the last line loaded plus the file's fingerprint (size and modification time) in `cursor`. A
 *   file whose checkpoint covers it whole, with the same fingerprint, is skipped; a file cut short
 *   by a crash or a stop resumes after its last committed line; a file whose fingerprint changed
 *   since is loaded again from its first line (the merges make that safe).
 * - A batch of lines becomes rows of up to five tables. The store writes one table per
 *   transaction, so the tables of a batch go first and the last write carries the positions, the
 *   batch's dead letters and the checkpoint together: the checkpoint never runs ahead of any row
 *   it covers. A crash between the writes of a batch leaves rows of it without their checkpoint;
 *   the next run loads those lines again, and the merges leave the tables as they were.
 * - Lines that are not events go to the dead letters with the file, the line and the reason;
 *   `read = persisted + rejected` (lines read = events loaded + lines rejected).
 */
import { stat } from 'node:fs/promises';
import { EMPTY, concat, concatMap, defer, from, type Observable } from 'rxjs';
import {
  FlowGate,
  StatusReporter,
  deadLetter,
  ndjsonSource,
  processBatches,
  retry,
  startRun,
  type DeadLetter,
  type PipelineOptions,
  type PipelineRun,
  type Position,
  type SourceBatch,
  type Store,
  type WriteBatch,
} from '@sluice/core';
import { checkEvent } from './events.js';
import { listDays, listFiles, type DayRange, type LakeFile } from './lake.js';
import { FACT_TABLES, FactRows, KnownKeys } from './transform.js';

/** Prefix of the checkpoint streams and dead-letter origins of lake files. */
export const STREAM_PREFIX = 'vehicle-events:';

/** The checkpoint stream (and dead-letter origin) of a lake file. */
export const streamOf = (file: Pick<LakeFile, 'relative'>): string => `${STREAM_PREFIX}${file.relative}`;

/** What the ETL does. */
export interface EtlOptions extends Omit<PipelineOptions, 'maxBuffered'> {
  store: Store;
  lake: string;
  /** Days to load (default: every day in the lake). */
  days?: DayRange;
}

/** How the files of a run were handled. */
export interface FileTally {
  /** Loaded for the first time. */
  loaded: number;
  /** Loaded on from where a stopped or crashed run left them. */
  resumed: number;
  /** Changed since they were loaded, so loaded again. */
  reloaded: number;
  /** Loaded before and unchanged: skipped. */
  unchanged: number;
}

/** A dead letter of the run, told to the person at the terminal. */
export interface RejectedLine {
  /** The file, as `data/DAY/FILE`. */
  file: string;
  line: number | undefined;
  reason: string;
}

/** A running ETL: a pipeline run plus what it did (final once `done` resolves). */
export interface EtlRun extends PipelineRun {
  readonly files: FileTally;
  /** Days of which at least one file was loaded (first time, resumed or again). */
  readonly daysLoaded: Set<string>;
  /** The first rejected lines of the run (at most 20); every one is in the dead letters. */
  readonly rejectedLines: RejectedLine[];
}

const MAX_REJECTED_LINES = 20;

/** What a file load starts from. */
interface FilePlan {
  path: string;
  stream: string;
  fingerprint: string;
  size: number;
  from: Position | undefined;
}

/** A batch turned into its writes, ahead of its turn. */
interface PreparedBatch {
  /** Writes of the small tables, then the last one: positions, dead letters and checkpoint. */
  writes: WriteBatch[];
  size: number;
  events: number;
  letters: DeadLetter[];
  last: Position | undefined;
  /** Small-table keys the batch writes, known once it is committed. */
  newKeys: Set<string>;
}

/** The fingerprint of a file: changes whenever the file is rewritten or appended to. */
function fingerprintOf(size: number, mtimeMs: number): string {
  return `${size}:${Math.trunc(mtimeMs)}`;
}

/**
 * Both engines plan the distance view from table statistics; without them (a fresh table looks
 * empty) PostgreSQL picks nested loops that take seconds instead of milliseconds, and SQLite scans
 * every position instead of searching each vehicle's range of its primary key. SQLite's statistics
 * are sampled (`analysis_limit`), so the refresh costs milliseconds even on a month of positions.
 */
async function refreshStatistics(store: Store): Promise<void> {
  const tables = Object.values(FACT_TABLES);
  if (store.name === 'pg') {
    await store.query(`ANALYZE ${tables.join(', ')}`);
    return;
  }
  await store.query('PRAGMA analysis_limit = 1000');
  for (const table of tables) await store.query(`ANALYZE ${table}`);
}

/** Starts the ETL over the lake (the warehouse must be migrated: `migrateWarehouse`). */
export function runEtl(options: EtlOptions): EtlRun {
  const { store, lake } = options;
  const batchSize = options.batchSize ?? 5000;
  const batchMs = options.batchMs ?? 500;
  const reporter = new StatusReporter(options.name ?? 'etl:vehicle-events');
  const gate = new FlowGate(batchSize * 3);
  const files: FileTally = { loaded: 0, resumed: 0, reloaded: 0, unchanged: 0 };
  const daysLoaded = new Set<string>();
  const rejectedLines: RejectedLine[] = [];
  const known = new KnownKeys();
  const onRetry = (notice: Parameters<StatusReporter['retry']>[0]) => reporter.retry(notice);
  const write = (batch: WriteBatch) => retry(() => store.write(batch), { operation: `write to ${batch.table ?? 'checkpoints'}`, onRetry, ...(options.retry ? { policy: options.retry } : {}) });
  let stopped = false;

  /** Where to start a file, or undefined to skip it. */
  const planFile = async (file: LakeFile): Promise<FilePlan | undefined> => {
    if (stopped) return undefined;
    const info = await stat(file.path);
    const stream = streamOf(file);
    const fingerprint = fingerprintOf(info.size, info.mtimeMs);
    const saved = await store.readCheckpoint(stream);
    const same = saved?.cursor === fingerprint;
    if (same && saved.offset === info.size) {
      files.unchanged++;
      return undefined;
    }
    daysLoaded.add(file.day);
    if (saved === undefined) files.loaded++;
    else if (same) files.resumed++;
    else files.reloaded++;
    return { path: file.path, stream, fingerprint, size: info.size, from: same ? saved : undefined };
  };

  const loadFile = (plan: FilePlan, stop$: Observable<void>): Observable<unknown> => {
    let last = plan.from;
    const prepare = (batch: SourceBatch<unknown>): PreparedBatch => {
      const facts = new FactRows(known);
      const letters = batch.letters;
      let events = 0;
      for (const { value, position } of batch.accepted) {
        const event = checkEvent(value);
        if (typeof event === 'string') letters.push(deadLetter(plan.stream, event, value, { position }));
        else {
          facts.add(event);
          events++;
        }
      }
      const checkpoint = batch.last ? { stream: plan.stream, position: { ...batch.last, cursor: plan.fingerprint } } : undefined;
      const writes: WriteBatch[] = [
        { table: FACT_TABLES.organisations, rows: facts.organisations },
        { table: FACT_TABLES.vehicles, rows: facts.vehicles },
        { table: FACT_TABLES.vehicleEvents, rows: facts.vehicleEvents },
        { table: FACT_TABLES.periodEvents, rows: facts.periodEvents },
      ].filter((w) => w.rows.length > 0);
      writes.push({ table: FACT_TABLES.positions, rows: facts.positions, deadLetters: letters, ...(checkpoint ? { checkpoint } : {}) });
      for (const w of writes) store.prepare?.(w);
      return { writes, size: batch.size, events, letters, last: batch.last, newKeys: facts.newKeys };
    };
    const process = async (batch: PreparedBatch): Promise<void> => {
      reporter.read(batch.size, batch.last);
      for (const w of batch.writes) await write(w);
      known.addAll(batch.newKeys);
      reporter.persisted(batch.events);
      reporter.rejected(batch.letters);
      for (const letter of batch.letters) {
        if (rejectedLines.length >= MAX_REJECTED_LINES) break;
        rejectedLines.push({ file: letter.origin.slice(STREAM_PREFIX.length), line: letter.position?.line, reason: letter.reason });
      }
      if (batch.last) last = batch.last;
      reporter.position = last;
      gate.release(batch.size);
    };
    return concat(
      processBatches(ndjsonSource({ path: plan.path, name: plan.stream }), { ...(plan.from ? { from: plan.from } : {}), batchSize, batchMs, gate, stop$, prepare }, process),
      // A file that ends in blank lines (or is empty) is marked whole all the same.
      defer(async () => {
        if (stopped || last?.offset === plan.size) return;
        await write({ rows: [], checkpoint: { stream: plan.stream, position: { offset: plan.size, line: last?.line ?? 0, index: last?.index ?? -1, cursor: plan.fingerprint } } });
      }),
    );
  };

  const run = startRun(
    reporter,
    (stop$) => {
      stop$.subscribe(() => (stopped = true));
      return defer(async () => {
        const all: LakeFile[] = [];
        for (const day of await listDays(lake, options.days)) all.push(...(await listFiles(lake, day)));
        return all;
      }).pipe(
        concatMap((all) => from(all)),
        concatMap((file) => defer(() => planFile(file)).pipe(concatMap((plan) => (plan ? loadFile(plan, stop$) : EMPTY)))),
        (files$) => concat(files$, defer(() => (daysLoaded.size > 0 ? refreshStatistics(store) : EMPTY))),
      );
    },
    options,
  );
  return Object.assign(run, { files, daysLoaded, rejectedLines });
}
