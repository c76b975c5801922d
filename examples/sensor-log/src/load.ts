/**
 * The loader in one process: list the folder, skip the files loaded as they are, load the others
 * in units of several files per transaction (two units in flight, so reading and decoding one
 * overlaps the other's write), and count.
 */
import { statSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { StatusReporter, type Store } from '@sluice/core';
import { FileLoader, isDataFile, readFileStates, unchanged, type FileOutcome, type FileState, type UnitFile } from './load-file.js';

/** The counts of a load (the `--json` line). */
export interface LoadSummary {
  /** Files loaded (rows written) this run. */
  files: number;
  /** Rows written this run. */
  rows: number;
  /** Files skipped: loaded before and unchanged since (or loaded by another worker meanwhile). */
  skipped: number;
  /** Dead letters written this run: one per bad row, one per quarantined file. */
  rejected: number;
  /** Files quarantined this run (counted in `rejected`). */
  quarantined: number;
}

export const emptySummary = (): LoadSummary => ({ files: 0, rows: 0, skipped: 0, rejected: 0, quarantined: 0 });

/** Adds an outcome to a summary (mutates it). */
export function count(summary: LoadSummary, outcome: FileOutcome): LoadSummary {
  if (outcome.status === 'skipped') summary.skipped++;
  else if (outcome.status === 'quarantined') summary.quarantined++;
  else summary.files++;
  summary.rows += outcome.rows;
  summary.rejected += outcome.rejected;
  return summary;
}

/** The data files of a folder, in name order. */
export async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  return entries
    .filter((e) => (e.isFile() || e.isSymbolicLink()) && isDataFile(e.name))
    .map((e) => e.name)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** A file that needs loading: new, or changed since its load (`state` is what was loaded). */
export interface TodoFile {
  file: string;
  state: FileState | null;
  size: number;
  mtimeMs: number;
}

/** The files that need loading (new, or changed since their load), with their known state; and how many are skipped. */
export async function filesToLoad(store: Store, dir: string): Promise<{ todo: TodoFile[]; skipped: number }> {
  const states = await readFileStates(store);
  const todo: TodoFile[] = [];
  let skipped = 0;
  for (const file of await listFiles(dir)) {
    const state = states.get(file);
    const { size, mtimeMs } = statSync(join(dir, file));
    if (unchanged(state, size, mtimeMs)) skipped++;
    else todo.push({ file, state: state ?? null, size, mtimeMs });
  }
  return { todo, skipped };
}

/** What a load is about to do, for a progress view's percent and ETA. */
export interface LoadPlan {
  files: number;
  bytes: number;
}

/** The plan of `todo`. */
export const planOf = (todo: readonly TodoFile[]): LoadPlan => ({ files: todo.length, bytes: todo.reduce((sum, t) => sum + t.size, 0) });

/**
 * Files per unit (transaction) on PostgreSQL: 15,312 rows, a COPY of ~1.5 MB. Larger units save a
 * little server time (the foreign-key check probes each distinct key once per unit: ~2 ms) but the
 * loader's heap grows with them (measured on a day: 16 files, ~+35 MB peak RSS for ~-1 s of server CPU).
 */
export const DEFAULT_UNIT_FILES = 8;

/**
 * Files per unit by default: {@link DEFAULT_UNIT_FILES} on PostgreSQL, 1 on SQLite. SQLite has no
 * round trip and no per-statement check to save, and its units of 8 files measured slower (120
 * files: 4.8–5.7 s against 4.3–4.4 s, +30 MB peak RSS), so there a unit is one file unless
 * `--unit-files` says otherwise.
 */
export function defaultUnitFiles(store: Store): number {
  return store.name === 'pg' ? DEFAULT_UNIT_FILES : 1;
}

/**
 * `files` cut into units of at most `max` files: 1, 2, 4, … at first (early commit points and a
 * quick first progress line), then `max` each.
 */
export function units<T>(files: readonly T[], max: number): T[][] {
  const out: T[][] = [];
  let size = 1;
  for (let i = 0; i < files.length; ) {
    const take = Math.min(size, Math.max(1, max));
    out.push(files.slice(i, i + take));
    i += take;
    size *= 2;
  }
  return out;
}

/** Options of {@link loadFolder}. */
export interface LoadFolderOptions {
  store: Store;
  dir: string;
  /** Units in flight at once (default 2 for PostgreSQL, 1 for SQLite, which writes serially). */
  concurrency?: number;
  /** Most files per unit, i.e. per transaction (default {@link defaultUnitFiles}). */
  unitFiles?: number;
  reporter?: StatusReporter;
  /** Called for every file's outcome (messages about dead letters). */
  onFile?: (outcome: FileOutcome) => void;
  /** Set to stop taking new units (a signal); units in flight finish. */
  signal?: AbortSignal;
  /** Called once the files to load are known, before the first is read. */
  onPlan?: (plan: LoadPlan) => void;
}

/** Loads the folder in this process. */
export async function loadFolder(options: LoadFolderOptions): Promise<LoadSummary> {
  const { store, dir, reporter } = options;
  const summary = emptySummary();
  const { todo, skipped } = await filesToLoad(store, dir);
  summary.skipped = skipped;
  options.onPlan?.(planOf(todo));
  const loader = new FileLoader(store, dir);
  await loader.addFiles(todo.map((t) => t.file));
  const max = options.unitFiles ?? defaultUnitFiles(store);
  const planned = units<UnitFile & { size: number }>(todo, max);
  let next = 0;
  // Bytes of the files done so far: the `offset` of progress events, against the plan's bytes.
  let bytesDone = 0;
  const lane = async () => {
    while (next < planned.length && !options.signal?.aborted) {
      const unit = planned[next++]!;
      const outcomes = await loader.loadUnit(unit);
      for (const file of unit) bytesDone += file.size;
      let rows = 0;
      let rejected = 0;
      for (const outcome of outcomes) {
        count(summary, outcome);
        rows += outcome.rows;
        rejected += outcome.rejected;
        if (outcome.reasons.length > 0) reporter?.rejected(outcome.reasons.map((reason) => ({ reason })));
        options.onFile?.(outcome);
      }
      reporter?.read(rows + rejected, { offset: bytesDone });
      reporter?.persisted(rows);
    }
  };
  const concurrency = options.concurrency ?? (store.name === 'pg' ? 2 : 1);
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, lane));
  return summary;
}
