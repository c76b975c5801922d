/**
 * `pnpm trips COMMAND [options]`: trip files ingested on demand, grouped, and asked about. See `usage`.
 */
import { availableParallelism } from 'node:os';
import { ConfigError, type Store } from '@sluice/core';
import {
  choiceOption,
  createProgressView,
  createShutdown,
  integerOption,
  openStoreTarget,
  parseCommandLine,
  parseStoreUrl,
  runMain,
  storeUrlForms,
  type Shutdown,
} from '@sluice/runtime';
import { areaOf, rangeOf } from './cli-args.js';
import { checkFiles, ingestFiles, type IngestCounts } from './ingest.js';
import { DEFAULT_STORE, openTripsStore } from './open.js';
import { groups, latestDatasource, regionsOf, weeklyAverage } from './queries.js';
import type { TripSettings } from './trip.js';


export const usage = `Usage: pnpm trips COMMAND [options]
  ingest FILE... [--broker URL --consumers N] [--bulk] [--json]
                                                          load trip CSVs (direct, or through a broker with N consumer processes)
  serve [--port P] [--files DIR]                          HTTP: POST /ingestions, SSE status, live page, GET /weekly-average
  weekly-average (--region NAME | --bbox minLon,minLat,maxLon,maxLat) [--match origin|destination|both] [--from DATE --to DATE] [--json]
  groups [--region R] [--limit N] [--json]                the largest groups of similar trips
  ask latest-datasource --json                            the two most common regions and the datasource of their latest trip
  ask regions --datasource NAME --json                    the regions a datasource has trips in
  gen --rows N --out FILE [--seed S]                      write a realistic trips file

  --store URL        ${storeUrlForms.join(', ')} (default SLUICE_STORE, else ${DEFAULT_STORE})
  --resolution R     H3 resolution of the groups' cells (default 8; fixed at the store's first ingestion)
  --bucket-minutes M time-of-day bucket width (default 30; a divisor of 1440; fixed likewise)
  --area-levels N    coarser H3 levels kept in the area rollup, 0-3 (default 0; PostgreSQL; fixed likewise):
                     faster box answers, slower ingestion (README, "Weekly average")
  --area-resolution R H3 resolution of the cells stored with each trip, R ≥ --resolution (default: --resolution;
                     PostgreSQL; fixed likewise): 10 keeps small boxes' answers flat as the data grows
  --batch N          rows per transaction (default 5000)
  --writers N        direct ingestion: transactions in flight at once (default 2 on PostgreSQL, 1 on SQLite)
  --bulk             direct ingestion into PostgreSQL: stage all rows first, then move them in a month at a
                     time, building new months by sorting (faster for large loads; files are read whole)
  --readers N        --bulk: read a file of at least N × 64 MB in N byte ranges at once, each but the first
                     in a process of its own (default: the number of CPUs, at most 4)
  -h, --help         this text`;

const commonOptions = {
  store: { type: 'string' },
  resolution: { type: 'string' },
  'bucket-minutes': { type: 'string' },
  'area-levels': { type: 'string' },
  'area-resolution': { type: 'string' },
  json: { type: 'boolean' },
} as const;

/** The settings asked for on the command line. */
function settingsOf(values: { resolution?: string; 'bucket-minutes'?: string; 'area-levels'?: string; 'area-resolution'?: string }): Partial<TripSettings> {
  const resolution = integerOption('resolution', values.resolution, { min: 0, max: 15 });
  const areaLevels = integerOption('area-levels', values['area-levels'], { min: 0, max: 3 });
  const areaResolution = integerOption('area-resolution', values['area-resolution'], { min: 0, max: 15 });
  const bucketMinutes = integerOption('bucket-minutes', values['bucket-minutes'], { min: 1, max: 1440 });
  if (bucketMinutes !== undefined && 1440 % bucketMinutes !== 0) throw new ConfigError(`--bucket-minutes ${bucketMinutes} does not divide a day (1440 minutes)`, 'bucket-minutes');
  return {
    ...(resolution !== undefined ? { resolution } : {}),
    ...(bucketMinutes !== undefined ? { bucketMinutes } : {}),
    ...(areaLevels !== undefined ? { areaLevels } : {}),
    ...(areaResolution !== undefined ? { areaResolution } : {}),
  };
}

function print(json: boolean, value: unknown, text: () => string): void {
  console.log(json ? JSON.stringify(value) : text());
}

async function ingestCommand(argv: string[], shutdown: Shutdown): Promise<void> {
  const { values, positionals } = parseCommandLine(argv, {
    usage,
    options: { ...commonOptions, broker: { type: 'string' }, consumers: { type: 'string' }, batch: { type: 'string' }, writers: { type: 'string' }, bulk: { type: 'boolean' }, readers: { type: 'string' }, 'visibility-ms': { type: 'string' } },
    positionals: { min: 1, max: 10_000, names: 'FILE' },
  });
  const batchSize = integerOption('batch', values.batch, { min: 1, max: 100_000 }) ?? 5000;
  await checkFiles(positionals);
  const { store, settings } = await openTripsStore(values.store, shutdown, settingsOf(values));
  let counts: IngestCounts;
  if (values.broker !== undefined) {
    if (values.writers !== undefined) throw new ConfigError('--writers is for direct ingestion; through a broker, scale with --consumers', 'writers');
    if (values.bulk) throw new ConfigError('--bulk is for direct ingestion; through a broker, each consumer merges its batches', 'bulk');
    const { ingestThroughBroker } = await import('./ingest-broker.js');
    counts = await ingestThroughBroker({
      store,
      storeUrl: values.store ?? process.env.SLUICE_STORE ?? DEFAULT_STORE,
      brokerUrl: values.broker,
      files: positionals,
      settings,
      consumers: integerOption('consumers', values.consumers, { min: 1, max: 64 }) ?? 2,
      batchSize,
      shutdown,
      ...(values['visibility-ms'] ? { visibilityTimeoutMs: integerOption('visibility-ms', values['visibility-ms'], { min: 100 })! } : {}),
    });
  } else {
    if (values.consumers !== undefined) throw new ConfigError('--consumers needs --broker', 'consumers');
    const writers = integerOption('writers', values.writers, { min: 1, max: 16 });
    if (values.bulk && writers !== undefined) throw new ConfigError('--writers is for ingestion without --bulk, which stages through one COPY stream', 'writers');
    const readerCount = integerOption('readers', values.readers, { min: 1, max: 64 });
    if (readerCount !== undefined && !values.bulk) throw new ConfigError('--readers is for --bulk; without it, scale with --writers', 'readers');
    const readers = values.bulk
      ? {
          count: readerCount ?? Math.min(4, availableParallelism()),
          storeUrl: values.store ?? process.env.SLUICE_STORE ?? DEFAULT_STORE,
          command: [...process.execArgv, process.argv[1]!],
          // Tests make small files split; see staging.ts.
          ...(process.env.SLUICE_TRIPS_MIN_RANGE_BYTES ? { minRangeBytes: Number(process.env.SLUICE_TRIPS_MIN_RANGE_BYTES) } : {}),
        }
      : undefined;
    const run = ingestFiles({ store, files: positionals, settings, batchSize, ...(writers ? { writers } : {}), ...(values.bulk ? { bulk: true, readers } : {}) });
    shutdown.track({ status$: run.status$, done: run.done, stop: () => run.stop() } as never);
    const view = createProgressView();
    const totals: Record<string, { bytes: number }> = {};
    const subscription = run.status$.subscribe({
      next: (event) => {
        if (event.type === 'started') {
          const size = run.sizes.get(event.pipeline);
          if (size !== undefined) totals[event.pipeline] = { bytes: size };
        }
      },
      // A failure reaches this command through run.done; unhandled here, rxjs would throw it again later and crash the process.
      error: () => undefined,
    });
    view.track(run.status$, { totals });
    try {
      counts = await run.done;
    } finally {
      subscription.unsubscribe();
      view.close();
    }
  }
  const line = JSON.stringify(counts);
  if (values.json) console.log(line);
  else console.log(`read ${counts.read}, persisted ${counts.persisted} new trips, rejected ${counts.rejected}, duplicates ${counts.duplicates}`);
}

async function weeklyAverageCommand(argv: string[], shutdown: Shutdown): Promise<void> {
  const { values } = parseCommandLine(argv, {
    usage,
    options: { ...commonOptions, region: { type: 'string' }, bbox: { type: 'string' }, match: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' } },
  });
  const area = areaOf(values);
  const range = rangeOf(values.from, values.to);
  const { store, settings } = await openTripsStore(values.store, shutdown, settingsOf(values));
  const answer = await weeklyAverage(store, settings, area, range);
  print(values.json === true, answer, () => `${answer.weeklyAverage} trips per week (${answer.trips} trips over ${answer.weeks} weeks)`);
}

async function groupsCommand(argv: string[], shutdown: Shutdown): Promise<void> {
  const { values } = parseCommandLine(argv, { usage, options: { ...commonOptions, region: { type: 'string' }, limit: { type: 'string' } } });
  const limit = integerOption('limit', values.limit, { min: 1, max: 100_000 }) ?? 20;
  const { store, settings } = await openTripsStore(values.store, shutdown, settingsOf(values));
  const answer = await groups(store, settings, { ...(values.region ? { region: values.region } : {}), limit });
  print(values.json === true, answer, () =>
    [
      `${answer.total} trips in groups (res ${settings.resolution} cells, ${settings.bucketMinutes}-minute buckets); largest first:`,
      ...answer.groups.map(
        (g) => `${String(g.trips).padStart(8)}  ${g.origin.lat.toFixed(5)},${g.origin.lon.toFixed(5)} → ${g.destination.lat.toFixed(5)},${g.destination.lon.toFixed(5)}  ${g.bucket.from}–${g.bucket.to}`,
      ),
    ].join('\n'),
  );
}

async function askCommand(argv: string[], shutdown: Shutdown): Promise<void> {
  const { values, positionals } = parseCommandLine(argv, {
    usage,
    options: { ...commonOptions, datasource: { type: 'string' } },
    positionals: { min: 1, max: 1, names: 'QUESTION (latest-datasource or regions)' },
  });
  const question = choiceOption('question', positionals[0], ['latest-datasource', 'regions'] as const)!;
  if (question === 'regions' && values.datasource === undefined) throw new ConfigError('ask regions needs --datasource NAME', 'datasource');
  const { store } = await openTripsStore(values.store, shutdown, settingsOf(values));
  if (question === 'regions') {
    const answer = await regionsOf(store, values.datasource!);
    print(values.json === true, answer, () => `${answer.datasource}: ${answer.regions.join(', ') || '(no trips)'}`);
  } else {
    const answer = await latestDatasource(store);
    print(values.json === true, answer, () => `most common regions: ${answer.regions.join(', ')}; latest trip among them: ${answer.datasource} at ${answer.datetime}`);
  }
}

const commands: Record<string, (argv: string[], shutdown: Shutdown) => Promise<void>> = {
  ingest: ingestCommand,
  'weekly-average': weeklyAverageCommand,
  groups: groupsCommand,
  ask: askCommand,
  serve: async (argv, shutdown) => (await import('./serve.js')).serveCommand(argv, shutdown),
  gen: async (argv) => (await import('./gen.js')).genCommand(argv),
  consume: async (argv, shutdown) => (await import('./consume.js')).consumeCommand(argv, shutdown),
  'stage-range': async (argv, shutdown) => (await import('./stage-range-command.js')).stageRangeCommand(argv, shutdown),
};

void runMain('trips', async () => {
  const [command, ...rest] = process.argv.slice(2);
  if (command === undefined || command === '--help' || command === '-h') {
    parseCommandLine(['--help'], { usage, options: {} });
  }
  const run = commands[command!];
  if (run === undefined) throw new ConfigError(`unknown command "${command}"; use one of ${Object.keys(commands).filter((c) => c !== 'consume' && c !== 'stage-range').join(', ')}`, 'command');
  const shutdown = createShutdown();
  try {
    await run(rest, shutdown);
  } finally {
    await shutdown.close();
  }
});
