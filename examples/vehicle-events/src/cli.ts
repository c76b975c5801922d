/**
 * `pnpm vehicle-events <gen|etl|report>`: write a lake, load it into the warehouse (once, or on a
 * schedule), report the average distance per operating period. See `usage` in cli-options.ts.
 */
import type { Store } from '@sluice/core';
import { createProgressView, createShutdown, openStoreTarget, runMain, type Shutdown } from '@sluice/runtime';
import { parseCli, type CliOptions, type EtlCliOptions, type StoreOptions } from './cli-options.js';
import { runEtl } from './etl.js';
import { generateLake } from './generate.js';
import { MIGRATIONS, migrateWarehouse } from './migrations/index.js';
import { renderJson, renderText, writeReport } from './report.js';
import { runSchedule } from './schedule.js';
import { warehouseStoreOptions } from './store-settings.js';

const say = (line: string): void => console.error(line);

/** Opens the store and brings the warehouse to the last migration. */
async function openWarehouse(options: StoreOptions, shutdown: Shutdown): Promise<Store> {
  const store = shutdown.own(await openStoreTarget(options.store, warehouseStoreOptions(options.schema)));
  for (const m of await migrateWarehouse(store, MIGRATIONS)) if (m.applied) say(`migration ${m.version} (${m.name}) applied`);
  return store;
}

/** One load of the lake, with progress on stderr and its summary as one JSON line on stdout. */
async function loadOnce(store: Store, options: EtlCliOptions, shutdown: Shutdown): Promise<void> {
  const run = runEtl({ store, lake: options.lake, days: options.days, ...(options.batchSize ? { batchSize: options.batchSize } : {}) });
  shutdown.track(run);
  const view = createProgressView();
  view.track(run.status$);
  try {
    const summary = await run.done;
    view.close();
    for (const r of run.rejectedLines) say(`rejected ${r.file}${r.line === undefined ? '' : `:${r.line}`}: ${r.reason}`);
    if (summary.rejected > run.rejectedLines.length) say(`… ${summary.rejected} lines rejected in all: see the dead letters (sluice_dead_letters, origin vehicle-events:data/…)`);
    const days = [...run.daysLoaded].sort();
    const { position: _last, ...counts } = summary;
    console.log(JSON.stringify({ ...counts, files: run.files, days }));
  } finally {
    view.close();
  }
}

async function runCommand(options: CliOptions, shutdown: Shutdown): Promise<void> {
  switch (options.command) {
    case 'gen': {
      const { truth: _truth, ...result } = await generateLake(options);
      console.log(JSON.stringify(result));
      return;
    }
    case 'etl': {
      say(`lake ${options.lake} → ${options.store.url}${options.store.kind === 'pg' ? ` (schema ${options.schema})` : ''}`);
      const store = await openWarehouse(options, shutdown);
      if (options.schedule === undefined) return loadOnce(store, options, shutdown);
      return runSchedule({ pattern: options.schedule, load: () => loadOnce(store, options, shutdown), say, stopped: shutdown.signalled });
    }
    case 'report': {
      const store = await openWarehouse(options, shutdown);
      const { answers, files } = await writeReport(store, options.out);
      if (options.json) console.log(renderJson(answers));
      else for (const line of renderText(answers)) console.log(line);
      say(`report: ${files.html}\n        ${files.json}`);
      return;
    }
  }
}

void runMain('vehicle-events', async () => {
  const options = parseCli(process.argv.slice(2));
  const shutdown = createShutdown();
  try {
    await runCommand(options, shutdown);
  } finally {
    await shutdown.close();
  }
});
