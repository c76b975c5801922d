/**
 * One measured step of the vehicle-events benchmark, in its own process so that its peak RSS and
 * CPU are its own: `etl` (migrate + load the lake) or `report` (read the answers). The store is
 * opened as the CLI opens it (`warehouseStoreOptions`), with the application name
 * `vehicle-events-bench` (the parent finds the PostgreSQL backends by it). Prints one JSON line.
 *
 * Usage: tsx --conditions=source bench/vehicle-events/child.ts etl|report STORE_URL SCHEMA LAKE [BATCH]
 */
import type { Store } from '@sluice/core';
import { openStore } from '@sluice/runtime';
import { readAnswers } from '../../examples/vehicle-events/src/answers.js';
import { runEtl } from '../../examples/vehicle-events/src/etl.js';
import { MIGRATIONS, migrateWarehouse } from '../../examples/vehicle-events/src/migrations/index.js';
import { warehouseStoreOptions } from '../../examples/vehicle-events/src/store-settings.js';
import { BENCH_APPLICATION } from './application.js';

const [step, url, schema, lake, batch] = process.argv.slice(2);
if ((step !== 'etl' && step !== 'report') || !url || !schema || !lake) throw new Error('usage: child.ts etl|report STORE_URL SCHEMA LAKE [BATCH]');

const store: Store = await openStore(url, warehouseStoreOptions(schema, BENCH_APPLICATION));
const started = performance.now();
const usage = () => {
  const { userCPUTime, systemCPUTime, maxRSS } = process.resourceUsage();
  return { ms: performance.now() - started, cpuSec: (userCPUTime + systemCPUTime) / 1e6, maxRssMb: maxRSS / 1024 };
};
try {
  await migrateWarehouse(store, MIGRATIONS);
  if (step === 'etl') {
    const run = runEtl({ store, lake, ...(batch ? { batchSize: Number(batch) } : {}) });
    const summary = await run.done;
    console.log(JSON.stringify({ step, summary, files: run.files, ...usage() }));
  } else {
    const answers = await readAnswers(store);
    console.log(JSON.stringify({ step, periods: answers.operatingPeriods, overallAverageKm: answers.overallAverageKm, ...usage() }));
  }
} finally {
  await store.close();
}
