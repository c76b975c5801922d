/**
 * Runs a source through the `load` pipeline into a SQLite store with the example's metrics schema
 * and table, and reads back what landed. The wait is bounded, so a hang fails instead of stalling.
 */
import { load, metricSchema, type DeadLetter, type Metric, type PipelineSummary, type Source, type Store } from '@sluice/core';
import { createSqliteStore } from '@sluice/store-sqlite';
import { defaultNames, kinds, machineTables } from '../../examples/full-pipeline/src/tables.js';
import type { MetricRow } from './entries.js';

/** The table the corpus lands in. */
export const METRICS_TABLE = defaultNames.metricsTable;

/** `promise`, or a rejection naming `what` once `ms` have passed without it settling. */
export function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms: it hangs`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** A SQLite store (`:memory:` unless a file is given) with the example's tables. */
export async function openMetricsStore(filename = ':memory:'): Promise<Store> {
  const store = createSqliteStore({ filename });
  await store.migrate(machineTables(defaultNames));
  return store;
}

/** What a load run left behind. */
export interface Landing {
  /** The summary, when the run completed. */
  summary?: PipelineSummary;
  /** The error, when the run failed. */
  error?: unknown;
  rows: MetricRow[];
  letters: DeadLetter[];
}

/** Options of {@link landSource}. */
export interface LandOptions {
  /** Bound on the whole run (default 20 s). */
  timeoutMs?: number;
  /** Store to load into (default: a fresh `:memory:` store, closed afterwards). */
  store?: Store;
  /** Whether to read back every row (default true; big runs count them with SQL instead). */
  readRows?: boolean;
}

/** Loads `source` with `metricSchema` into the metrics table and reads back what landed. */
export async function landSource(source: Source<unknown>, options: LandOptions = {}): Promise<Landing> {
  const store = options.store ?? (await openMetricsStore());
  try {
    const run = load<Metric>({ source, store, table: METRICS_TABLE, schema: metricSchema, toRow: kinds.metrics.toRow, batchMs: 20, incremental: false });
    const landing: Landing = { rows: [], letters: [] };
    try {
      landing.summary = await within(options.timeoutMs ?? 20_000, `loading ${source.name}`, run.done);
    } catch (error) {
      landing.error = error;
    }
    if (options.readRows !== false) landing.rows = sortRows(await store.query<MetricRow & Record<string, unknown>>(`SELECT parameter, time, val FROM ${METRICS_TABLE}`));
    landing.letters = await store.readDeadLetters();
    return landing;
  } finally {
    if (!options.store) await store.close();
  }
}

/** Rows in a fixed order (parameter, then time), compared the same way on both sides. */
export function sortRows(rows: readonly MetricRow[]): MetricRow[] {
  const plain = rows.map((row) => ({ parameter: row.parameter, time: Number(row.time), val: Number(row.val) }));
  return plain.sort((a, b) => (a.parameter < b.parameter ? -1 : a.parameter > b.parameter ? 1 : a.time - b.time));
}
