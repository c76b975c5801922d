/**
 * The ETL: the lake's files → the fact tables, file by file, each through core's NDJSON source.
 *
 * - Every file has its own checkpoint stream (`vehicle-events:data/DAY/FILE`), whose position is
 *   the last line loaded plus the file's fingerprint (size and modification time) in `cursor`. A
 *   file whose checkpoint covers it whole, with the same fingerprint, is skipped; a file cut short
 *   by a crash or a stop resumes after its last committed line; a file whose fingerprint changed
 *   since is loaded again from its first line (the merges make that safe).
 * - A batch of lines (`batchSize`, 5,000 by default) becomes rows of up to five tables. The lines
 *   are read and turned into rows a slice of at most 1,000 at a time (`sliceSize`), so that only a
 *   slice of parsed lines is held at once, and a batch's rows are written together once it is
 *   whole (or its file ends, or the run is stopped). The store writes one table per transaction,
 *   so the tables of a batch go first and the last write carries the positions, the batch's dead
 *   letters and the checkpoint together: the checkpoint never runs ahead of any row it covers. A
 *   crash between the writes of a batch leaves rows of it without their checkpoint; the next run
 *   loads those lines again, and the merges leave the tables as they were.
 * - Lines that are not events go to the dead letters with the file, the line and the reason;
 *   `read = persisted + rejected` (lines read = events loaded + lines rejected).
 */
import { stat } from 'node:fs/promises';
import { EMPTY, catchError, concat, concatMap, defer, from, lastValueFrom, throwError, type Observable } from 'rxjs';
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

/** What the ETL does. `batchSize`: lines per write (default 5,000). */
export interface EtlOptions extends Omit<PipelineOptions, 'maxBuffered'> {
  store: Store;
  lake: string;
  /** Days to load (default: every day in the lake). */
  days?: DayRange;
  /** Most lines parsed and turned into rows at a time, up to `batchSize` (default 1,000). */
  sliceSize?: number;
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

/** The lines of one write: rows gathered slice by slice, then its writes, made ahead of their turn. */
interface Batch {
  facts: FactRows;
  letters: DeadLetter[];
  /** Lines in the batch (events + rejected). */
  size: number;
  events: number;
  last: Position | undefined;
  /** Writes of the small tables, then the last one: positions, dead letters and checkpoint (once closed). */
  writes: WriteBatch[];
}

/** A slice of lines read: how many, up to where, and the batch it completed, if it did. */
interface Slice {
  size: number;
  last: Position | undefined;
  full: Batch | undefined;
}

/** Most lines read and turned into rows at a time by default (see the module comment). */
export const DEFAULT_SLICE_LINES = 1000;

/**
 * Lines per write by default. Larger writes save little since a batch's positions go to the store
 * grouped by vehicle (a month: about the same CPU at 5,000 and 10,000 lines on either store) and
 * cost memory: the month's load peaked at 237 MB (SQLite) and 214 MB (PostgreSQL) at 5,000 lines,
 * at 255 and 238 MB at 10,000.
 */
export const DEFAULT_BATCH_LINES = 5000;

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

/**
 * Runs `load` with SQLite's temporary files in memory, then puts the setting back. Every
 * multi-row INSERT of a write keeps a statement journal (the undo of that one statement, since it
 * may fail half-way), which SQLite moves to a temporary file once it outgrows 64 KiB; each statement
 * of a load journals the pages its transaction already dirtied (a leaf per vehicle), so on disk that
 * file cost about one `pwrite` system call per row loaded (1.26 million for a million lines). In
 * memory it holds one statement's pages at most. Only for the load: `report`'s sorts stay free to
 * spill to disk. PostgreSQL has nothing to change.
 */
async function withLoadSettings<T>(store: Store, load: () => Promise<T>): Promise<T> {
  if (store.name !== 'sqlite') return load();
  const [before] = await store.query<{ temp_store: number }>('PRAGMA temp_store');
  await store.query('PRAGMA temp_store = MEMORY');
  try {
    return await load();
  } finally {
    await store.query(`PRAGMA temp_store = ${Number(before?.temp_store ?? 0)}`);
  }
}

/** Starts the ETL over the lake (the warehouse must be migrated: `migrateWarehouse`). */
export function runEtl(options: EtlOptions): EtlRun {
  const { store, lake } = options;
  const batchSize = options.batchSize ?? DEFAULT_BATCH_LINES;
  const sliceSize = Math.max(1, Math.min(batchSize, options.sliceSize ?? DEFAULT_SLICE_LINES));
  const batchMs = options.batchMs ?? 500;
  const reporter = new StatusReporter(options.name ?? 'etl:vehicle-events');
  // Lines are released when their batch is committed: one batch in the store while the next fills.
  const gate = new FlowGate(2 * batchSize + sliceSize);
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
    /** The batch being filled, slice by slice. */
    let open: Batch | undefined;
    let writeFailed = false;
    /** Turns a batch's rows into its writes and lets the store encode them while the previous batch is in it. */
    const close = (batch: Batch): Batch => {
      const { facts } = batch;
      const checkpoint = batch.last ? { stream: plan.stream, position: { ...batch.last, cursor: plan.fingerprint } } : undefined;
      batch.writes = [
        { table: FACT_TABLES.organisations, rows: facts.organisations },
        { table: FACT_TABLES.vehicles, rows: facts.vehicles },
        { table: FACT_TABLES.vehicleEvents, rows: facts.vehicleEvents },
        { table: FACT_TABLES.periodEvents, rows: facts.periodEvents },
      ].filter((w) => w.rows.length > 0);
      batch.writes.push({ table: FACT_TABLES.positions, rows: facts.positions(), deadLetters: batch.letters, ...(checkpoint ? { checkpoint } : {}) });
      for (const w of batch.writes) store.prepare?.(w);
      return batch;
    };
    /** Adds a slice's lines to the open batch; closes the batch once it holds `batchSize` lines. */
    const prepare = (slice: SourceBatch<unknown>): Slice => {
      const batch = (open ??= { facts: new FactRows(known), letters: [], size: 0, events: 0, last: undefined, writes: [] });
      batch.letters.push(...slice.letters);
      for (const { value, position } of slice.accepted) {
        const event = checkEvent(value);
        if (typeof event === 'string') batch.letters.push(deadLetter(plan.stream, event, value, { position }));
        else {
          batch.facts.add(event);
          batch.events++;
        }
      }
      batch.size += slice.size;
      batch.last = slice.last ?? batch.last;
      if (batch.size < batchSize) return { size: slice.size, last: slice.last, full: undefined };
      open = undefined;
      return { size: slice.size, last: slice.last, full: close(batch) };
    };
    /** Writes a closed batch, its positions last with its dead letters and checkpoint. */
    const commit = async (batch: Batch): Promise<void> => {
      try {
        for (const w of batch.writes) await write(w);
      } catch (error) {
        writeFailed = true;
        throw error;
      }
      known.addAll(batch.facts.newKeys);
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
    const process = async (slice: Slice): Promise<void> => {
      reporter.read(slice.size, slice.last);
      if (slice.full) await commit(slice.full);
    };
    /** Writes the batch the file (or a stop) ended in the middle of. */
    const flush$ = defer(async () => {
      const batch = open;
      open = undefined;
      if (batch !== undefined) await commit(close(batch));
    });
    const read$ = processBatches(ndjsonSource({ path: plan.path, name: plan.stream }), { ...(plan.from ? { from: plan.from } : {}), batchSize: sliceSize, batchMs, gate, stop$, prepare }, process);
    return concat(
      // A source that fails has its lines read so far written first, as processBatches does with its batches.
      read$.pipe(catchError((error: unknown) => concat(writeFailed ? EMPTY : flush$, throwError(() => error)))),
      flush$,
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
      const load$ = defer(async () => {
        const all: LakeFile[] = [];
        for (const day of await listDays(lake, options.days)) all.push(...(await listFiles(lake, day)));
        return all;
      }).pipe(
        concatMap((all) => from(all)),
        concatMap((file) => defer(() => planFile(file)).pipe(concatMap((plan) => (plan ? loadFile(plan, stop$) : EMPTY)))),
        (files$) => concat(files$, defer(() => (daysLoaded.size > 0 ? refreshStatistics(store) : EMPTY))),
      );
      return defer(() => withLoadSettings(store, () => lastValueFrom(load$, { defaultValue: undefined })));
    },
    options,
  );
  return Object.assign(run, { files, daysLoaded, rejectedLines });
}
