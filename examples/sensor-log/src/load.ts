/**
 * The loader in one process: list the folder, skip the files loaded as they are, load the others
 * (a few at once, so reading and decoding one overlaps another's write), and count.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { StatusReporter, type Store } from '@sluice/core';
import { FileLoader, isDataFile, readFileStates, unchanged, type FileOutcome, type FileState } from './load-file.js';

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

/** The files that need loading (new, or changed since their load), with their known state; and how many are skipped. */
export async function filesToLoad(store: Store, dir: string): Promise<{ todo: { file: string; state: FileState | null }[]; skipped: number }> {
  const states = await readFileStates(store);
  const todo: { file: string; state: FileState | null }[] = [];
  let skipped = 0;
  for (const file of await listFiles(dir)) {
    const state = states.get(file);
    const stats = await stat(join(dir, file));
    if (unchanged(state, stats.size, stats.mtimeMs)) skipped++;
    else todo.push({ file, state: state ?? null });
  }
  return { todo, skipped };
}

/** Options of {@link loadFolder}. */
export interface LoadFolderOptions {
  store: Store;
  dir: string;
  /** Files in flight at once (default 4 for PostgreSQL, 1 for SQLite, which writes serially). */
  concurrency?: number;
  reporter?: StatusReporter;
  /** Called for every file's outcome (messages about dead letters). */
  onFile?: (outcome: FileOutcome) => void;
  /** Set to stop taking new files (a signal); files in flight finish. */
  signal?: AbortSignal;
}

/** Loads the folder in this process. */
export async function loadFolder(options: LoadFolderOptions): Promise<LoadSummary> {
  const { store, dir, reporter } = options;
  const summary = emptySummary();
  const { todo, skipped } = await filesToLoad(store, dir);
  summary.skipped = skipped;
  const loader = new FileLoader(store, dir);
  await loader.addFiles(todo.map((t) => t.file));
  let next = 0;
  const worker = async () => {
    while (next < todo.length && !options.signal?.aborted) {
      const { file, state } = todo[next++]!;
      const outcome = await loader.load(file, state);
      count(summary, outcome);
      reporter?.read(outcome.rows + outcome.rejected);
      reporter?.persisted(outcome.rows);
      reporter?.rejected(outcome.reasons.map((reason) => ({ reason })));
      options.onFile?.(outcome);
    }
  };
  const concurrency = options.concurrency ?? (store.name === 'pg' ? 4 : 1);
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
  return summary;
}
