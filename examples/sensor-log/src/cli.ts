/**
 * `pnpm sensor-log gen|load|worker …`: generate per-minute sensor files, load them into the
 * normalised schema (in one process, or through a broker with N worker processes).
 */
import { mkdir } from 'node:fs/promises';
import { ConfigError, StatusReporter, type Store } from '@sluice/core';
import { choiceOption, createProgressView, createShutdown, integerOption, openBroker, openStore, parseCommandLine, runMain, type ProgressTotal } from '@sluice/runtime';
import { generate, minutes } from './generate.js';
import type { FileOutcome } from './load-file.js';
import { loadFolder, type LoadPlan, type LoadSummary } from './load.js';
import { erDiagram, migrateSchema } from './schema.js';
import { coordinate, runWorker } from './workers.js';

const DEFAULT_SQLITE = 'sluice-out/sensor-log.db';

const usage = `Usage:
  sensor-log gen --out DIR [--from DATE] [--to DATE] [--format parquet|csv] [--seed S]
      One file per minute from --from to --to inclusive (default 2023-01-01T00:00 to
      2023-01-31T00:00, UTC), named "2023-01-01 00:00:00.parquet"; the same seed gives the same files.
  sensor-log load DIR [--store URL] [--broker URL --workers N] [--json]
      Loads the folder's .parquet and .csv files into department / sensor / product / datalog.
      Files loaded before and unchanged since (size and modification time) are skipped.
      --store   sqlite:FILE (default sqlite:${DEFAULT_SQLITE}) or postgres://user@host:port/db
      --broker  redis://host:port (or kafka://, amqp://): file names go through it to --workers
                worker processes (default 2) sharing them in a consumer group
      --json    last stdout line {"files":…,"rows":…,"skipped":…,"rejected":…}
      --topic   topic of the file names (default sensor-log.files; group: TOPIC.loaders)
      --unit-files N   most files per transaction (default 8 on PostgreSQL, 1 on SQLite)
      --concurrency N  units in flight in one process (default 2 on PostgreSQL, 1 on SQLite)
  sensor-log worker DIR --store URL --broker URL [--topic T] [--consumer NAME] [--visibility-ms MS] [--unit-files N]
      One worker of a scaled-out load (load --broker starts them).
  sensor-log er
      Prints the schema as a Mermaid ER diagram, generated from the migrations.`;

/** A date option: ISO date-time, UTC unless it says otherwise, on a whole minute. */
function minuteOption(name: string, text: string | undefined, fallback: string): number {
  const given = text ?? fallback;
  const ms = Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(given) ? given : `${given}${given.length <= 10 ? 'T00:00' : ''}Z`);
  if (!Number.isFinite(ms)) throw new ConfigError(`--${name}: "${given}" is not a date; give e.g. 2023-01-01T01:00 (UTC)`, name);
  if (ms % 60_000 !== 0) throw new ConfigError(`--${name}: "${given}" is not on a whole minute`, name);
  return ms;
}

async function gen(argv: string[]): Promise<void> {
  const { values } = parseCommandLine(argv, {
    usage,
    options: { out: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' }, format: { type: 'string' }, seed: { type: 'string' } },
  });
  if (!values.out) throw new ConfigError('gen needs --out DIR', 'out');
  const from = minuteOption('from', values.from, '2023-01-01T00:00');
  const to = minuteOption('to', values.to, '2023-01-31T00:00');
  if (to < from) throw new ConfigError('--to is before --from', 'to');
  const format = choiceOption('format', values.format, ['parquet', 'csv'] as const) ?? 'parquet';
  const seed = integerOption('seed', values.seed, { min: 0, max: 0xffffffff }) ?? 1;
  await mkdir(values.out, { recursive: true });
  const reporter = new StatusReporter(`gen:${values.out}`);
  const view = createProgressView();
  view.track(reporter.status$, { totals: { [reporter.pipeline]: { records: minutes(from, to) * 1914 } } });
  const started = Date.now();
  try {
    const result = await generate({ out: values.out, from, to, format, seed, reporter });
    reporter.done(false);
    view.close();
    console.log(`${result.files} files (${result.rows.toLocaleString('en-US')} rows) in ${values.out}, ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } finally {
    view.close();
  }
}

/** Prints what went wrong with a file, on stderr. */
function tell(outcome: FileOutcome): void {
  if (outcome.status === 'quarantined') console.error(`quarantined: ${outcome.reasons[0]}`);
  else for (const reason of outcome.reasons.slice(0, 5)) console.error(`dead letter: ${reason}`);
  if (outcome.status !== 'quarantined' && outcome.reasons.length > 5) console.error(`… and ${outcome.reasons.length - 5} more dead letters of ${outcome.file}`);
}

async function openMigrated(url: string | undefined, shutdown: ReturnType<typeof createShutdown>): Promise<Store> {
  const store = shutdown.own(await openStore(url ?? `sqlite:${DEFAULT_SQLITE}`, { defaultSqliteFile: DEFAULT_SQLITE }));
  await migrateSchema(store);
  return store;
}

function summaryLine(summary: LoadSummary, where: string): string {
  if (summary.files === 0 && summary.quarantined === 0) return `nothing new to load: ${summary.skipped} files already loaded and unchanged (${where})`;
  return (
    `loaded ${summary.files} files (${summary.rows.toLocaleString('en-US')} rows) into ${where}; ` +
    `${summary.skipped} skipped (loaded before, unchanged); ${summary.rejected} dead letters` +
    (summary.quarantined > 0 ? ` (${summary.quarantined} files quarantined)` : '')
  );
}

async function load(argv: string[]): Promise<void> {
  const { values, positionals } = parseCommandLine(argv, {
    usage,
    options: {
      store: { type: 'string' },
      broker: { type: 'string' },
      workers: { type: 'string' },
      json: { type: 'boolean' },
      concurrency: { type: 'string' },
      'unit-files': { type: 'string' },
      'visibility-ms': { type: 'string' },
      topic: { type: 'string' },
    },
    positionals: { min: 1, max: 1, names: 'DIR' },
  });
  const dir = positionals[0]!;
  const unitFiles = integerOption('unit-files', values['unit-files'], { min: 1, max: 1000 });
  const workers = integerOption('workers', values.workers, { min: 1, max: 64 });
  if (workers !== undefined && !values.broker) throw new ConfigError('--workers needs --broker URL (the workers share the files through it)', 'workers');
  const shutdown = createShutdown();
  try {
    const storeUrl = values.store ?? `sqlite:${DEFAULT_SQLITE}`;
    const store = await openMigrated(storeUrl, shutdown);
    const reporter = new StatusReporter(`load:${dir}`);
    const view = createProgressView();
    // Percent and ETA from the bytes of the files to load, known before the first progress event.
    const totals: Record<string, ProgressTotal> = {};
    const onPlan = (plan: LoadPlan) => {
      totals[reporter.pipeline] = { bytes: plan.bytes };
      reporter.emit({ type: 'started' }); // the view's clock for rate and ETA starts here
    };
    view.track(reporter.status$, { totals });
    const abort = new AbortController();
    void shutdown.signalled.then(() => abort.abort());
    const started = Date.now();
    let summary: LoadSummary;
    try {
      if (values.broker) {
        const broker = shutdown.own(await openBroker(values.broker));
        const visibility = integerOption('visibility-ms', values['visibility-ms'], { min: 100 });
        summary = await coordinate({
          store,
          broker,
          dir,
          storeUrl,
          brokerUrl: values.broker,
          workers: workers ?? 2,
          reporter,
          onPlan,
          ...(values.topic ? { topic: values.topic } : {}),
          ...(visibility ? { visibilityTimeoutMs: visibility } : {}),
          ...(unitFiles ? { unitFiles } : {}),
        });
      } else {
        const concurrency = integerOption('concurrency', values.concurrency, { min: 1, max: 16 });
        summary = await loadFolder({ store, dir, reporter, onPlan, onFile: tell, signal: abort.signal, ...(concurrency ? { concurrency } : {}), ...(unitFiles ? { unitFiles } : {}) });
      }
      reporter.done(abort.signal.aborted);
    } finally {
      view.close();
    }
    const seconds = (Date.now() - started) / 1000;
    console.error(`${summaryLine(summary, store.name === 'pg' ? 'PostgreSQL' : storeUrl)}, ${seconds.toFixed(1)} s`);
    const { files, rows, skipped, rejected } = summary;
    console.log(values.json ? JSON.stringify({ files, rows, skipped, rejected }) : summaryLine(summary, store.name === 'pg' ? 'PostgreSQL' : storeUrl));
  } finally {
    await shutdown.close();
  }
}

async function worker(argv: string[]): Promise<void> {
  const { values, positionals } = parseCommandLine(argv, {
    usage,
    options: {
      store: { type: 'string' },
      broker: { type: 'string' },
      consumer: { type: 'string' },
      'visibility-ms': { type: 'string' },
      topic: { type: 'string' },
      'unit-files': { type: 'string' },
    },
    positionals: { min: 1, max: 1, names: 'DIR' },
  });
  if (!values.broker) throw new ConfigError('worker needs --broker URL', 'broker');
  const shutdown = createShutdown();
  try {
    const store = await openMigrated(values.store, shutdown);
    const broker = shutdown.own(await openBroker(values.broker));
    const abort = new AbortController();
    void shutdown.signalled.then(() => abort.abort());
    const visibility = integerOption('visibility-ms', values['visibility-ms'], { min: 100 });
    const unitFiles = integerOption('unit-files', values['unit-files'], { min: 1, max: 1000 });
    const summary = await runWorker({
      store,
      broker,
      dir: positionals[0]!,
      onFile: tell,
      signal: abort.signal,
      ...(values.consumer ? { consumer: values.consumer } : {}),
      ...(values.topic ? { topic: values.topic } : {}),
      ...(visibility ? { visibilityTimeoutMs: visibility } : {}),
      ...(unitFiles ? { unitFiles } : {}),
    });
    console.log(JSON.stringify(summary));
  } finally {
    await shutdown.close();
  }
}

void runMain('sensor-log', async () => {
  const [command, ...rest] = process.argv.slice(2);
  switch (command) {
    case 'gen':
      return gen(rest);
    case 'load':
      return load(rest);
    case 'worker':
      return worker(rest);
    case 'er':
      console.log(erDiagram());
      return;
    case undefined:
    case '--help':
    case '-h':
      console.log(usage);
      return;
    default:
      throw new ConfigError(`unknown command "${command}"; give gen, load, worker or er (see --help)`, 'command');
  }
});
