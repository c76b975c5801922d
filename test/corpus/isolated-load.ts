/**
 * The child process behind {@link ./isolated.ts}: loads one file (or HTTP stream) into a SQLite
 * store and prints what landed as one JSON line. Run as
 * `node --conditions=source --import tsx isolated-load.ts '<job json>'`.
 */
import { createHash } from 'node:crypto';
import { deadLetterBytes, httpSource, type DeadLetter, type PipelineSummary } from '@sluice/core';
import type { Format, MetricRow } from './entries.js';
import { fileSourceFor, type FileReadOptions } from './file-sources.js';
import { METRICS_TABLE, landSource, openMetricsStore } from './landing.js';

/** What the child loads. */
export interface LoadJob {
  /** The file and its format, or an NDJSON HTTP endpoint. */
  input: { format: Format; path: string; options?: FileReadOptions } | { url: string };
  /** SQLite file to load into (default `:memory:`). */
  storeFile?: string;
  /** Read back every row (default true); otherwise only their count and time sum. */
  readRows?: boolean;
  /** Bound on the load inside the child. */
  timeoutMs: number;
}

/** What the child reports. */
export interface LoadReport {
  summary?: PipelineSummary;
  error?: { name: string; message: string; retriable?: boolean };
  rows: MetricRow[];
  /** The dead letters, reason and payload cut; `payloadSha256` is of the whole payload's bytes. */
  letters: (DeadLetter & { payloadSha256: string })[];
  rowCount: number;
  /** Sum of the `time` column, as a decimal string (exact). */
  timeSum: string;
  /** Peak resident memory of the child, in MiB. */
  maxRssMb: number;
}

/** Text cut to 2000 characters, with its full length noted when cut. */
function cut(text: string): string {
  return text.length > 2000 ? `${text.slice(0, 2000)}… (${text.length} characters)` : text;
}

async function main(job: LoadJob): Promise<LoadReport> {
  const store = await openMetricsStore(job.storeFile);
  try {
    const source = 'url' in job.input ? httpSource({ url: job.input.url }) : fileSourceFor(job.input.format, job.input.path, job.input.options);
    const landing = await landSource(source, { store, timeoutMs: job.timeoutMs, readRows: job.readRows !== false });
    const [totals] = await store.query<{ n: number; t: string | null }>(`SELECT count(*) AS n, CAST(sum(time) AS TEXT) AS t FROM ${METRICS_TABLE}`);
    const failure = landing.error as { name?: string; message?: string; retriable?: boolean } | undefined;
    return {
      ...(landing.summary ? { summary: landing.summary } : {}),
      ...(failure ? { error: { name: failure.name ?? 'Error', message: failure.message ?? String(failure), retriable: failure.retriable } } : {}),
      rows: landing.rows,
      // Huge reasons and payloads are cut for the pipe, keeping a reason's length visible to the parent.
      letters: landing.letters.map((l) => ({
        ...l,
        reason: cut(l.reason),
        payload: cut(l.payload),
        payloadSha256: createHash('sha256').update(deadLetterBytes(l)).digest('hex'),
      })),
      rowCount: Number(totals?.n ?? 0),
      timeSum: totals?.t ?? '0',
      maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    };
  } finally {
    await store.close();
  }
}

const report = await main(JSON.parse(process.argv[2]!) as LoadJob);
process.stdout.write(`${JSON.stringify(report)}\n`);
