/**
 * The ETL: reads the persisted metrics and work orders from the store, ranks each product's
 * parameters with `rankCorrelations`, and writes report.html, report.json and report.md.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  quoteIdentifier,
  rankCorrelations,
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

/** Reads both tables into the shapes `rankCorrelations` takes. */
export async function readMachineData(store: Store, names: Names): Promise<{ metrics: MetricColumns; workorders: Workorder[] }> {
  const parseId = idParser();
  const metricRows = await store.query(`SELECT parameter, time, val FROM ${quoteIdentifier(names.metricsTable)}`);
  const id = new Array<number | string>(metricRows.length);
  const time = new Float64Array(metricRows.length);
  const val = new Float64Array(metricRows.length);
  metricRows.forEach((row, i) => {
    id[i] = parseId(row.parameter);
    time[i] = Number(row.time);
    val[i] = Number(row.val);
  });
  const workorderRows = await store.query(`SELECT product, time, production FROM ${quoteIdentifier(names.workordersTable)}`);
  const workorders = workorderRows.map((row) => ({ product: parseId(row.product), time: Number(row.time), production: Number(row.production) }));
  return { metrics: { id, time, val }, workorders };
}

/** Runs the analysis on the store's data and writes the three report files into `outDir`. */
export async function writeReport(
  store: Store,
  names: Names,
  outDir: string,
  options: CorrelationOptions = {},
): Promise<{ files: ReportFiles; result: CorrelationResult }> {
  const { metrics, workorders } = await readMachineData(store, names);
  const result = rankCorrelations(metrics, workorders, options);
  await mkdir(outDir, { recursive: true });
  const files = { html: join(outDir, 'report.html'), json: join(outDir, 'report.json'), md: join(outDir, 'report.md') };
  await Promise.all([
    writeFile(files.html, renderReportHtml(result)),
    writeFile(files.json, renderReportJson(result)),
    writeFile(files.md, renderReportMarkdown(result)),
  ]);
  return { files, result };
}

/** One line per product with its top three parameters, or why it has none (pure). */
export function topThreeLines(result: CorrelationResult): string[] {
  return result.products.map((product) => {
    const top = product.ranking.slice(0, 3).map((e) => `${JSON.stringify(e.parameter)} (r ${e.r.toFixed(3)})`);
    const label = `product ${JSON.stringify(product.product)}`;
    if (top.length > 0) return `${label}: ${top.join(', ')}`;
    return `${label}: not ranked: ${product.reason ?? 'no parameter had enough aligned intervals'}`;
  });
}
