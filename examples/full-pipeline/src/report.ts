/**
 * The ETL: streams the persisted metrics and work orders from the store, ranks each product's
 * parameters with `correlationFold` (the result of `rankCorrelations`, in bounded memory), and
 * writes report.html, report.json and report.md.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  formatLag,
  quoteIdentifier,
  rankCorrelationsOf,
  readInKeyOrder,
  renderReportHtml,
  renderReportJson,
  renderReportMarkdown,
  type CorrelationOptions,
  type CorrelationResult,
  type MetricColumns,
  type Store,
  type Workorder,
} from '@sluice/core';
import { parseStoredId, type Names } from './tables.js';

/** The files a report run wrote. */
export interface ReportFiles {
  html: string;
  json: string;
  md: string;
}

/** Parses stored ids once per distinct text (millions of samples share a few dozen ids). */
function idParser(): (text: unknown) => number | string {
  const seen = new Map<unknown, number | string>();
  return (text) => {
    let id = seen.get(text);
    if (id === undefined) seen.set(text, (id = parseStoredId(text)));
    return id;
  };
}

/** Rows per chunk read from the store: memory holds about one chunk of rows at a time. */
const CHUNK_ROWS = 10_000;

/** The work-order readings (few: one per product and reading interval), read in chunks. */
export async function readWorkorders(store: Store, names: Names, parseId = idParser()): Promise<Workorder[]> {
  const workorders: Workorder[] = [];
  const sql = `SELECT product, time, production FROM ${quoteIdentifier(names.workordersTable)}`;
  for await (const rows of store.stream(sql, [], { chunkSize: CHUNK_ROWS })) {
    for (const row of rows) workorders.push({ product: parseId(row.product), time: Number(row.time), production: Number(row.production) });
  }
  return workorders;
}

/**
 * The metric samples as chunks of columns, one parameter after another (ordered by parameter,
 * then time, as `correlationFold` needs them). Nothing but the current chunk is held.
 */
export async function* metricChunks(store: Store, names: Names, parseId = idParser()): AsyncGenerator<MetricColumns> {
  // In key order by keyset pages of the (parameter, time) primary key: one index walk, no copy.
  // The whole key is compared, never `parameter = ?`: on a freshly loaded PostgreSQL table, with no
  // statistics yet, an equality made the planner sort each parameter's rows for every page.
  const read = { table: names.metricsTable, key: ['parameter', 'time'], columns: ['val'], chunkSize: CHUNK_ROWS };
  for await (const rows of readInKeyOrder(store, read)) {
    const id = new Array<number | string>(rows.length);
    const time = new Float64Array(rows.length);
    const val = new Float64Array(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]!;
      id[i] = parseId(row.parameter);
      time[i] = Number(row.time);
      val[i] = Number(row.val);
    }
    yield { id, time, val };
  }
}

/**
 * Ranks the store's data in bounded memory: the work orders are read whole (they are few), the
 * metrics are streamed one parameter at a time through `correlationFold`. Same result as
 * `rankCorrelations` on all the rows.
 */
export async function analyseStore(store: Store, names: Names, options: CorrelationOptions = {}): Promise<CorrelationResult> {
  const parseId = idParser();
  const workorders = await readWorkorders(store, names, parseId);
  return rankCorrelationsOf(metricChunks(store, names, parseId), workorders, options);
}

/** Runs the analysis on the store's data and writes the three report files into `outDir`. */
export async function writeReport(
  store: Store,
  names: Names,
  outDir: string,
  options: CorrelationOptions = {},
): Promise<{ files: ReportFiles; result: CorrelationResult }> {
  const result = await analyseStore(store, names, options);
  await mkdir(outDir, { recursive: true });
  const files = { html: join(outDir, 'report.html'), json: join(outDir, 'report.json'), md: join(outDir, 'report.md') };
  await Promise.all([
    writeFile(files.html, renderReportHtml(result)),
    writeFile(files.json, renderReportJson(result)),
    writeFile(files.md, renderReportMarkdown(result)),
  ]);
  return { files, result };
}

/**
 * One line per product with its top three parameters (r, the lag at which it is strongest, and
 * whether it is significant), or why it has none (pure).
 */
export function topThreeLines(result: CorrelationResult): string[] {
  return result.products.map((product) => {
    const top = product.ranking
      .slice(0, 3)
      .map((e) => `${JSON.stringify(e.parameter)} (r ${e.r.toFixed(3)}, lag ${formatLag(e.lagSeconds)}${e.significant ? '' : ', not significant'})`);
    const label = `product ${JSON.stringify(product.product)}`;
    if (top.length > 0) return `${label}: ${top.join(', ')}${product.ranking.some((e) => e.significant) ? '' : ' (nothing significant)'}`;
    return `${label}: not ranked: ${product.reason ?? 'no parameter had enough aligned intervals'}`;
  });
}
