/**
 * Child process of report-memory.test.ts: writes the report of a SQLite store's machine data and
 * prints what it measured as one JSON line. Started with a small `--max-old-space-size`, so a report
 * that holds every row dies of a full heap instead of finishing.
 */
import { getHeapStatistics } from 'node:v8';
import { createSqliteStore } from '@sluice/store-sqlite';
import { writeReport } from '../../src/report.js';
import { namesFor } from '../../src/tables.js';

const [filename, outDir] = process.argv.slice(2);
if (filename === undefined || outDir === undefined) throw new Error('usage: report-memory-child <database file> <output folder>');

let peakHeap = 0;
const sample = () => {
  peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
};
const sampler = setInterval(sample, 5);
const store = createSqliteStore({ filename });
try {
  const { result } = await writeReport(store, namesFor(''), outDir);
  sample();
  console.log(
    JSON.stringify({
      parameters: result.parameters.length,
      samples: result.parameters.reduce((sum, p) => sum + p.samples, 0),
      products: result.products.map((p) => ({ product: p.product, status: p.status, ranked: p.ranking.length })),
      peakHeapUsedMb: peakHeap / 2 ** 20,
      heapLimitMb: getHeapStatistics().heap_size_limit / 2 ** 20,
      maxRssMb: process.resourceUsage().maxRSS / 1024,
    }),
  );
} finally {
  clearInterval(sampler);
  await store.close();
}
