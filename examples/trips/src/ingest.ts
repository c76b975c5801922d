/**
 * Ingestion of trip files: direct (file → store through core's `load`), one file after another,
 * each with its own checkpoint stream. The counts of a run: `read = persisted + rejected +
 * duplicates`, where persisted counts the trips that were really new (the rollup trigger counts
 * them per ingestion, in the same transaction as the rows).
 */
import { access, constants, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Subject, type Observable } from 'rxjs';
import { ConfigError, csvSource, load, SourceError, type CsvRecord, type PipelineSummary, type Row, type Source, type StatusEvent, type Store } from '@sluice/core';
import { beginStagingSql, endStagingSql, heartbeatSql, moveMonthSql, nextMonth, stagedMonths, stagedRows } from './bulk.js';
import { T, analyzeModel, dialectOf, tripsStore } from './model.js';
import { stageFile } from './staging.js';
import { nameId, tripRow, tripSchema, type Trip, type TripSettings } from './trip.js';

/** The counts an ingestion ends with. */
export interface IngestCounts {
  read: number;
  persisted: number;
  rejected: number;
  duplicates: number;
}

/** Column types of the CSV source: the coordinates are WKT points. */
const CSV_TYPES = { origin_coord: 'point', destination_coord: 'point' } as const;

/**
 * The CSV source of a trips file: columns found by name in any order, names compared without case
 * and surrounding spaces (`Region ` is `region`), the coordinates read as WKT points, and each row's
 * bytes kept for the dead letter of a row the trip schema refuses.
 */
export function tripsCsv(path: string, name: string, end?: number): Source<CsvRecord> {
  return csvSource({ path, name, types: CSV_TYPES, headerName: (column) => column.trim().toLowerCase(), keepRaw: true, ...(end === undefined ? {} : { end }) });
}

/** A fresh ingestion id: 52 random bits (ids are only compared, never ordered). */
export function newIngestionId(): number {
  return Math.floor(Math.random() * 2 ** 52);
}

/** Names of ids seen while mapping, for the dimension tables. */
export function nameBook(): { regions: Map<number, string>; datasources: Map<number, string>; note(trip: Trip): void } {
  const regions = new Map<number, string>();
  const datasources = new Map<number, string>();
  return {
    regions,
    datasources,
    note(trip) {
      if (regions.size > 100_000) regions.clear();
      if (datasources.size > 100_000) datasources.clear();
      regions.set(nameId(trip.region), trip.region);
      datasources.set(nameId(trip.datasource), trip.datasource);
    },
  };
}

/**
 * The store that trips of an ingestion are written through (dimension rows and partitions made as
 * they are needed: model.ts's `tripsStore`), and the row of a trip.
 */
export function tripWriter(store: Store, ingestion: number, settings: TripSettings): { store: Store; toRow: (trip: Trip) => Row } {
  const book = nameBook();
  return {
    store: tripsStore(store, book),
    toRow: (trip) => {
      book.note(trip);
      return tripRow(trip, ingestion, settings);
    },
  };
}

/** The checkpoint stream of a file: its path, size and modification time (a changed file starts over). */
export async function fileStream(path: string): Promise<{ stream: string; size: number }> {
  const info = await stat(path);
  return { stream: `trips:${resolve(path)}:${info.size}:${Math.floor(info.mtimeMs)}`, size: info.size };
}

/**
 * Checks that every file can be read before any is ingested: a typo in the third path must not
 * leave two files ingested and the command failed. One error names every file that cannot be read.
 */
export async function checkFiles(paths: readonly string[]): Promise<void> {
  const problems: string[] = [];
  for (const path of paths) {
    try {
      if (!(await stat(path)).isFile()) problems.push(`${path} is not a regular file`);
      else await access(path, constants.R_OK);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      problems.push(code === 'ENOENT' ? `${path} does not exist` : code === 'EACCES' ? `${path} is not readable (permission denied)` : `${path}: ${(error as Error).message}`);
    }
  }
  if (problems.length > 0) {
    throw new SourceError(`cannot ingest: ${problems.join('; ')}. Nothing was ingested; check the paths and run again.`, 'trips ingest');
  }
}

/** New trips counted for an ingestion by the rollup trigger. */
export async function newTrips(store: Store, ingestion: number): Promise<number> {
  const rows = await store.query<{ n: number | string }>(`SELECT new_trips AS n FROM ${T.ingestions} WHERE ingestion = ${ingestion}`);
  return Number(rows[0]?.n ?? 0);
}

/** What {@link ingestFiles} needs. */
export interface IngestFilesOptions {
  store: Store;
  files: readonly string[];
  settings: TripSettings;
  ingestion?: number;
  /** Resume a file after the checkpoint of an earlier run that did not finish (default true). */
  resume?: boolean;
  batchSize?: number;
  /**
   * Transactions in flight at once (see core's `load`; default 2 on PostgreSQL, where the second
   * keeps the other core busy while the first one's merge runs, and 1 on SQLite, which has one
   * writer). A crash makes the next run read up to that many batches again: their trips count as
   * duplicates, the rollups stay exact.
   */
  writers?: number;
  /** Name shown in status events and dead letters for each file (default: the path). */
  label?: (path: string) => string;
  /**
   * PostgreSQL: stage every file first, then move the trips in a month at a time, building months
   * that hold no trips yet by sorting (bulk.ts). Reads each file whole (no resuming a file).
   */
  bulk?: boolean;
  /**
   * Bulk: read a large file in this many byte ranges at once, the first in this process and each
   * other one in a process started with `command` (node's arguments up to the trips CLI script)
   * that writes to `storeUrl` (staging.ts). Without it, one reader.
   */
  readers?: { count: number; storeUrl: string; command: readonly string[]; minRangeBytes?: number };
}

/** A running ingestion of several files: its status, the current run (for stop), and its end. */
export interface FilesRun {
  ingestion: number;
  status$: Observable<StatusEvent>;
  done: Promise<IngestCounts>;
  stop(): Promise<void>;
  /** Pipeline name → file size, for progress percent. */
  sizes: Map<string, number>;
}

/**
 * Loads the files one after another into the store. A file's checkpoint commits with each batch;
 * when the file is done its checkpoint is reset, so that ingesting it again reads it again (and
 * finds duplicates) while a run cut short resumes where it stopped.
 */
export function ingestFiles(options: IngestFilesOptions): FilesRun {
  const ingestion = options.ingestion ?? newIngestionId();
  const writers = options.writers ?? (dialectOf(options.store) === 'pg' ? 2 : 1);
  const { store, toRow } = tripWriter(options.store, ingestion, options.settings);
  const status = new Subject<StatusEvent>();
  const sizes = new Map<string, number>();
  let current: { stop(): Promise<unknown> } | undefined;
  let stopped = false;

  const bulk = options.bulk === true;
  if (bulk && dialectOf(options.store) !== 'pg') {
    throw new ConfigError('--bulk builds PostgreSQL partitions; on SQLite, ingest without it', 'bulk');
  }
  const emit = (event: StatusEvent) => status.next(event);

  const done = (async (): Promise<IngestCounts> => {
    const totals = { read: 0, rejected: 0 };
    const streams: string[] = [];
    let heartbeat: NodeJS.Timeout | undefined;
    try {
      if (bulk) {
        await options.store.query(beginStagingSql(ingestion));
        heartbeat = setInterval(() => void options.store.query(heartbeatSql(ingestion)).catch(() => undefined), 60_000);
        heartbeat.unref();
      }
      for (const path of options.files) {
        if (stopped) break;
        const { stream, size } = await fileStream(path);
        streams.push(stream);
        const name = options.label?.(path) ?? path;
        const pipeline = `${bulk ? 'stage' : 'ingest'}:${name}`;
        sizes.set(pipeline, size);
        let summary: PipelineSummary;
        if (bulk) {
          const readers = options.readers && { ...options.readers, ingestion, size };
          const staging = await stageFile({ store, toRow, path, name, pipeline, ...(options.batchSize ? { batchSize: options.batchSize } : {}), ...(readers ? { readers } : {}) }, emit);
          current = staging;
          summary = await staging.done;
        } else {
          const run = load<Trip>({
            source: tripsCsv(path, name),
            store,
            schema: tripSchema,
            toRow,
            stream,
            name: pipeline,
            ...(options.batchSize ? { batchSize: options.batchSize } : {}),
            table: T.trips,
            incremental: options.resume !== false,
            writers,
          });
          current = run;
          const subscription = run.status$.subscribe({ next: emit });
          summary = await run.done.finally(() => subscription.unsubscribe());
        }
        totals.read += summary.read;
        totals.rejected += summary.rejected;
        if (!bulk && !summary.stopped) await options.store.write({ rows: [], checkpoint: { stream, position: {} } });
      }
      if (bulk) {
        const moved = await moveStaged(options.store, ingestion, options.settings, emit, () => stopped);
        // A stopped run counts only what it moved: the rest of what it read was dropped unstaged.
        if (stopped) totals.read = totals.rejected + moved;
        // Files read whole: a later run must not resume them from an older run's position.
        else for (const stream of streams) await options.store.write({ rows: [], checkpoint: { stream, position: {} } });
      }
      const persisted = await newTrips(options.store, ingestion);
      if (persisted > 0) await analyzeModel(options.store);
      const counts = { read: totals.read, persisted, rejected: totals.rejected, duplicates: totals.read - persisted - totals.rejected };
      status.complete();
      return counts;
    } catch (error) {
      status.error(error);
      throw error;
    } finally {
      if (heartbeat) clearInterval(heartbeat);
      if (bulk) await options.store.query(endStagingSql(ingestion)).catch(() => undefined);
    }
  })();
  done.catch(() => undefined);
  return {
    ingestion,
    status$: status.asObservable(),
    done,
    sizes,
    async stop() {
      stopped = true;
      await current?.stop();
    },
  };
}

/** Months moved at once, never two neighbours while others are left (bulk.ts `nextMonth`): while one month's rollups run, another's rows are sorted and indexed. */
const MOVERS = 2;

/**
 * Bulk ingestion's second half: moves each staged month into `trips` (bulk.ts), {@link MOVERS} at
 * a time, reporting as pipeline `move:trips` (read: staged rows moved; persisted: trips that were
 * new). Takes no further month once `stopped()` says so, or one has failed (the others finish
 * first, then that error is thrown). Returns the staged rows of the months moved.
 */
async function moveStaged(store: Store, ingestion: number, settings: TripSettings, emit: (event: StatusEvent) => void, stopped: () => boolean): Promise<number> {
  const pipeline = 'move:trips';
  const months = await stagedMonths(store, ingestion);
  emit({ pipeline, at: Date.now(), type: 'started' });
  const before = await newTrips(store, ingestion);
  let reported = before;
  let moved = 0;
  const left = [...months];
  const moving = new Set<number>();
  let failed = false;
  const mover = async () => {
    while (left.length > 0 && !stopped() && !failed) {
      const month = nextMonth(left, moving)!;
      left.splice(left.indexOf(month), 1);
      moving.add(month);
      try {
        const rows = await stagedRows(store, ingestion, month);
        await store.query(moveMonthSql(ingestion, month, settings));
        moved += rows;
        // Counts read while another month commits may come back out of order: the running total never falls.
        const now = Math.max(reported, await newTrips(store, ingestion));
        emit({ pipeline, at: Date.now(), type: 'read', count: rows, total: moved });
        emit({ pipeline, at: Date.now(), type: 'persisted', count: now - reported, total: now - before });
        reported = now;
      } catch (error) {
        failed = true;
        throw error;
      } finally {
        moving.delete(month);
      }
    }
  };
  const ends = await Promise.allSettled(Array.from({ length: Math.min(MOVERS, months.length) }, mover));
  const failure = ends.find((end): end is PromiseRejectedResult => end.status === 'rejected');
  if (failure) throw failure.reason;
  emit({ pipeline, at: Date.now(), type: 'done', summary: { read: moved, published: 0, persisted: reported - before, rejected: 0, stopped: stopped() } });
  return moved;
}
