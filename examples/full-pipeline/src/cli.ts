/**
 * `pnpm full-pipeline [command] [options]`: the machine-data pipeline, in one process (`run`, the
 * default) or as separate processes (`serve`, `produce`, `consume`, `report`). See `usage`.
 */
import { mkdir, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ConfigError, storeDeadLetters, type Broker, type PipelineRun, type Store } from '@sluice/core';
import { createProgressView, createShutdown, openBrokerTarget, openStoreTarget, runMain, type ProgressTotal, type Shutdown } from '@sluice/runtime';
import { parseCli, type CliOptions } from './cli-options.js';
import { consume } from './consume.js';
import { formatDeadLetters, readDeadLettersSince } from './dead-letter-summary.js';
import { generateFiles } from './generate.js';
import { produce } from './produce.js';
import { topThreeLines, writeReport } from './report.js';
import { runReportProcess } from './report-process.js';
import { runIngestion } from './run-all.js';
import { buildServer } from './server/app.js';
import { groupOf, kindNames, machineTables, topicOf, type Kind } from './tables.js';

/**
 * Rows per consumer delivery, so per store transaction, in `run`. SQLite rewrites every page a
 * transaction touches: with metrics keyed by (parameter, time), a batch of 1,000 rows across 40
 * parameters touches about as many pages as it has rows' worth of bytes ten times over, and
 * 5,000 rows cut the bytes written per row by about four (measured in BENCHMARKS.md, #10).
 */
const RUN_CONSUMER_BATCH = 5000;

/** The broker and store of one command, opened on first use and closed by the shutdown. */
class Resources {
  private broker?: Promise<Broker>;
  private store?: Promise<Store>;

  constructor(
    private readonly options: CliOptions,
    private readonly shutdown: Shutdown,
  ) {}

  getBroker(): Promise<Broker> {
    const { names, group } = this.options;
    // RabbitMQ keeps messages only for groups whose queues exist: declare the consumers' groups
    // before the first publish, so a producer or webhook started before them loses nothing.
    const groups = (topic: string) => kindNames.filter((kind) => topicOf(kind, names) === topic).map((kind) => groupOf(kind, group ?? names.group));
    // The embedded broker: `ingest` never touches an envelope once published, so the broker may
    // keep the producer's values instead of copying each record; it retains two consumer
    // deliveries' worth and one more so the producer keeps going while a batch is written.
    const memory = { copy: false, maxRetained: 3 * RUN_CONSUMER_BATCH };
    return (this.broker ??= openBrokerTarget(this.options.broker, { clientId: `sluice-${this.options.command}`, rabbitmq: { groups }, memory }).then((b) => this.shutdown.own(b)));
  }

  /** The store, with the machine tables migrated. */
  getStore(): Promise<Store> {
    // A 16 MiB page cache holds every page a write touches (the key order keeps them few) and
    // keeps the process's memory bounded at a year's scale; SQLite's default store cache is 64.
    return (this.store ??= openStoreTarget(this.options.store, { sqlite: { cacheMiB: 16 } }).then(async (store) => {
      this.shutdown.own(store);
      await store.migrate(machineTables(this.options.names));
      return store;
    }));
  }
}

/** Where dead letters can be looked at, for the messages. */
function deadLetterPlace(options: CliOptions): string {
  return options.store.kind === 'sqlite' ? `table sluice_dead_letters in ${options.store.filename}` : 'table sluice_dead_letters in PostgreSQL';
}

/** Prints the dead letters written since `since` with their reasons, on stderr. */
async function tellDeadLetters(options: CliOptions, store: Store, since: number): Promise<void> {
  const lines = formatDeadLetters(await readDeadLettersSince(store, options.names, since), deadLetterPlace(options));
  for (const line of lines) console.error(line);
}

/** The sizes of the input files per producer pipeline, so the progress view shows percent and ETA. */
async function fileTotals(files: Record<Kind, string> | undefined): Promise<Record<string, ProgressTotal>> {
  if (!files) return {};
  const entries = await Promise.all(kindNames.map(async (kind) => [`produce:${kind}`, { bytes: (await stat(files[kind])).size }] as const));
  return Object.fromEntries(entries);
}

/** Runs a producer or consumer with progress and prints its summary as JSON on stdout. */
async function runStage(run: PipelineRun, options: CliOptions, store: Store, since: number, shutdown: Shutdown, totals: Record<string, ProgressTotal> = {}): Promise<void> {
  shutdown.track(run);
  const view = createProgressView();
  view.track(run.status$, { totals });
  try {
    const summary = await run.done;
    view.close();
    await tellDeadLetters(options, store, since);
    console.log(JSON.stringify(summary));
  } finally {
    view.close();
  }
}

async function runCommand(options: CliOptions, resources: Resources, shutdown: Shutdown): Promise<void> {
  const { names } = options;
  const since = Date.now();
  const brokerName = options.broker.kind;
  switch (options.command) {
    case 'run': {
      await mkdir(options.out, { recursive: true });
      // A fresh embedded database for the default file only: a database named with --store is the user's.
      if (options.store.kind === 'sqlite' && resolve(options.store.filename) === join(options.out, 'sluice.db')) await rm(options.store.filename, { force: true });
      const files = options.files ?? (await generateFiles(join(options.out, 'data')));
      console.error(`metrics: ${files.metrics}\nworkorders: ${files.workorders}\nbroker: ${options.broker.url}, store: ${options.store.url}`);
      const store = await resources.getStore();
      const result = await runIngestion({
        broker: await resources.getBroker(),
        store,
        names,
        files,
        out: options.out,
        shutdown,
        apiProcess: true,
        consumerBatchSize: RUN_CONSUMER_BATCH,
        ...(options.speed ? { speed: options.speed } : {}),
        ...(options.port !== undefined ? { port: options.port } : {}),
      });
      const { produced, consumed } = result;
      console.error(`produced: read ${produced.read}, published ${produced.published}, rejected ${produced.rejected}`);
      console.error(`consumed: read ${consumed.read}, persisted ${consumed.persisted}, rejected ${consumed.rejected}`);
      for (const line of formatDeadLetters(result.deadLetters, deadLetterPlace(options))) console.error(line);
      // The report runs as the `report` command in a process of its own (fresh memory); it prints
      // the top three and the files it wrote.
      await runReportProcess({ out: options.out, storeUrl: options.store.url, prefix: names.prefix });
      return;
    }
    case 'serve': {
      if (!options.files) throw new ConfigError('serve needs --metrics FILE and --workorders FILE', 'metrics');
      const webhook = brokerName !== 'memory';
      const app = buildServer({
        stream: { files: options.files, ...(options.speed ? { speed: options.speed } : {}) },
        ...(options.bodyLimit ? { bodyLimit: options.bodyLimit } : {}),
        ...(webhook
          ? {
              ingest: {
                broker: await resources.getBroker(),
                names,
                deadLetters: storeDeadLetters(await resources.getStore()),
                ...(options.token ? { token: options.token } : {}),
              },
            }
          : {}),
      });
      const address = await app.listen({ host: options.host, port: options.port ?? 8080 });
      shutdown.own(app);
      console.log(`serving ${address}/metrics and ${address}/workorders${webhook ? `; webhook at ${address}/ingest/{metrics,workorders}` : ' (webhook off: give --broker with a server)'}`);
      if (!options.token) console.log(`no --token: listening on loopback (${options.host}) only, without auth; give --token to serve beyond this machine`);
      await shutdown.signalled;
      return;
    }
    case 'produce': {
      const input = options.api ? { api: options.api } : options.files ? { files: options.files } : undefined;
      if (!input) throw new ConfigError('produce needs --api URL or --metrics and --workorders', 'api');
      const store = await resources.getStore();
      const run = produce({ broker: await resources.getBroker(), names, input, store, incremental: options.incremental });
      const totals = await fileTotals('files' in input ? input.files : undefined);
      return runStage(run, options, store, since, shutdown, totals);
    }
    case 'consume': {
      const store = await resources.getStore();
      const run = consume({
        broker: await resources.getBroker(),
        store,
        names,
        ...(options.group ? { group: options.group } : {}),
        ...(options.consumer ? { consumer: options.consumer } : {}),
        ...(options.idleStopMs ? { idleStopMs: options.idleStopMs } : {}),
      });
      return runStage(run, options, store, since, shutdown);
    }
    case 'report': {
      const { files, result } = await writeReport(await resources.getStore(), names, options.out);
      for (const line of topThreeLines(result)) console.error(line);
      console.log(`report (${result.products.length} products): ${files.html}\n  ${files.json}\n  ${files.md}`);
      return;
    }
    case 'gen': {
      const files = await generateFiles(join(options.out, 'data'));
      console.log(`${files.metrics}\n${files.workorders}\n${files.truth} (planted drivers)`);
      return;
    }
  }
}

void runMain('full-pipeline', async () => {
  const options = parseCli(process.argv.slice(2));
  const shutdown = createShutdown();
  try {
    await runCommand(options, new Resources(options, shutdown), shutdown);
  } finally {
    await shutdown.close();
  }
});

