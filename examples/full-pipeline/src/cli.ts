/**
 * `pnpm full-pipeline [command] [options]`: the machine-data pipeline, in one process (`run`, the
 * default) or as separate processes (`serve`, `produce`, `consume`, `report`). See `usage`.
 */
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError, describeError, storeDeadLetters, type Broker, type PipelineRun, type Store } from '@sluice/core';
import { parseCli, usage, type CliOptions } from './cli-options.js';
import { consume } from './consume.js';
import { formatDeadLetters, readDeadLettersSince } from './dead-letter-summary.js';
import { generateFiles } from './generate.js';
import { produce } from './produce.js';
import { showProgress } from './progress.js';
import { topThreeLines, writeReport } from './report.js';
import { runAll } from './run-all.js';
import { buildServer } from './server/app.js';
import { machineTables } from './tables.js';
import { connectBroker, openStore } from './wiring.js';

/** The broker and store of one command, opened on first use and closed at the end. */
class Resources {
  private broker?: Broker;
  private store?: Store;

  constructor(private readonly options: CliOptions) {}

  async getBroker(): Promise<Broker> {
    return (this.broker ??= await connectBroker(this.options.broker, `sluice-${this.options.command}`));
  }

  /** The store, with the machine tables migrated. */
  async getStore(): Promise<Store> {
    if (!this.store) {
      if (this.options.store === 'sqlite') await mkdir(this.options.out, { recursive: true });
      this.store = await openStore(this.options.store, join(this.options.out, 'sluice.db'));
      await this.store.migrate(machineTables(this.options.names));
    }
    return this.store;
  }

  async close(): Promise<void> {
    await this.broker?.close();
    await this.store?.close();
  }
}

/** Where dead letters can be looked at, for the messages. */
function deadLetterPlace(options: CliOptions): string {
  return options.store === 'sqlite' ? `table sluice_dead_letters in ${join(options.out, 'sluice.db')}` : 'table sluice_dead_letters in PostgreSQL';
}

/** Prints the dead letters written since `since` with their reasons, on stderr. */
async function tellDeadLetters(options: CliOptions, store: Store, since: number): Promise<void> {
  const lines = formatDeadLetters(await readDeadLettersSince(store, options.names, since), deadLetterPlace(options));
  for (const line of lines) console.error(line);
}

/** Runs a producer or consumer with progress and prints its summary as JSON on stdout. */
async function runStage(label: string, run: PipelineRun, options: CliOptions, store: Store, since: number): Promise<void> {
  showProgress(label, run.status$);
  const summary = await run.done;
  await tellDeadLetters(options, store, since);
  console.log(JSON.stringify(summary));
}

async function runCommand(options: CliOptions, resources: Resources): Promise<void> {
  const { names } = options;
  const since = Date.now();
  switch (options.command) {
    case 'run': {
      await mkdir(options.out, { recursive: true });
      if (options.store === 'sqlite') await rm(join(options.out, 'sluice.db'), { force: true });
      const files = options.files ?? (await generateFiles(join(options.out, 'data')));
      console.error(`metrics: ${files.metrics}\nworkorders: ${files.workorders}\nbroker: ${options.broker}, store: ${options.store}`);
      const store = await resources.getStore();
      const result = await runAll({
        broker: await resources.getBroker(),
        store,
        names,
        files,
        out: options.out,
        handleSignals: true,
        ...(options.speed ? { speed: options.speed } : {}),
        ...(options.port !== undefined ? { port: options.port } : {}),
      });
      const { produced, consumed } = result;
      console.error(`produced: read ${produced.read}, published ${produced.published}, rejected ${produced.rejected}`);
      console.error(`consumed: read ${consumed.read}, persisted ${consumed.persisted}, rejected ${consumed.rejected}`);
      for (const line of formatDeadLetters(result.deadLetters, deadLetterPlace(options))) console.error(line);
      for (const line of topThreeLines(result.result)) console.error(line);
      console.log(`report (${result.result.products.length} products): ${result.files.html}\n  ${result.files.json}\n  ${result.files.md}`);
      return;
    }
    case 'serve': {
      if (!options.files) throw new ConfigError('serve needs --metrics FILE and --workorders FILE', 'metrics');
      const webhook = options.broker !== 'memory';
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
      const address = await app.listen({ host: '127.0.0.1', port: options.port ?? 8080 });
      console.log(`serving ${address}/metrics and ${address}/workorders${webhook ? `; webhook at ${address}/ingest/{metrics,workorders}` : ' (webhook off: give --broker redis|kafka)'}`);
      await new Promise<void>((done) => {
        process.once('SIGINT', done);
        process.once('SIGTERM', done);
      });
      await app.close();
      return;
    }
    case 'produce': {
      const input = options.api ? { api: options.api } : options.files ? { files: options.files } : undefined;
      if (!input) throw new ConfigError('produce needs --api URL or --metrics and --workorders', 'api');
      const store = await resources.getStore();
      const run = produce({ broker: await resources.getBroker(), names, input, store, incremental: options.incremental, handleSignals: true });
      return runStage('produce', run, options, store, since);
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
        handleSignals: true,
      });
      return runStage('consume', run, options, store, since);
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
    default:
      throw new ConfigError(`unknown command "${options.command}"\n${usage}`, 'command');
  }
}

async function main(): Promise<void> {
  const options = parseCli(process.argv.slice(2));
  if (options.help) return void console.log(usage);
  const resources = new Resources(options);
  try {
    await runCommand(options, resources);
  } finally {
    await resources.close();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(`full-pipeline: ${error instanceof ConfigError ? error.message : describeError(error)}`);
    process.exit(error instanceof ConfigError ? 2 : 1);
  },
);
