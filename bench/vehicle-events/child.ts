/**
 * One measured step of the vehicle-events benchmark, in its own process so that its peak RSS is
 * its own: `etl` (migrate + load the lake) or `report` (read the answers). Prints one JSON line.
 *
 * Usage: tsx --conditions=source bench/vehicle-events/child.ts etl|report STORE_URL SCHEMA LAKE [BATCH]
 */
import type { Store } from '@sluice/core';
import { openStore } from '@sluice/runtime';
import { readAnswers } from '../../examples/vehicle-events/src/answers.js';
import { runEtl } from '../../examples/vehicle-events/src/etl.js';
import { MIGRATIONS, migrateWarehouse } from '../../examples/vehicle-events/src/migrations/index.js';

const [step, url, schema, lake, batch] = process.argv.slice(2);
if ((step !== 'etl' && step !== 'report') || !url || !schema || !lake) throw new Error('usage: child.ts etl|report STORE_URL SCHEMA LAKE [BATCH]');

const store: Store = await openStore(url, { pg: { schema } });
const started = performance.now();
try {
  await migrateWarehouse(store, MIGRATIONS);
  if (step === 'etl') {
    const run = runEtl({ store, lake, ...(batch ? { batchSize: Number(batch) } : {}) });
    const summary = await run.done;
    console.log(JSON.stringify({ step, ms: performance.now() - started, summary, files: run.files, maxRssMb: process.resourceUsage().maxRSS / 1024 }));
  } else {
    const answers = await readAnswers(store);
    console.log(JSON.stringify({ step, ms: performance.now() - started, periods: answers.operatingPeriods.length, overallAverageKm: answers.overallAverageKm, maxRssMb: process.resourceUsage().maxRSS / 1024 }));
  }
} finally {
  await store.close();
}
