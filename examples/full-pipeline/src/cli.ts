/**
 * `pnpm full-pipeline [command] [options]`: the machine-data pipeline.
 *   run (default)  everything in one process: API → producer → broker → consumer → store → report
 *   serve          the streaming APIs and the webhook
 *   produce        read the APIs (or files) and publish to the broker
 *   consume        persist from the broker into the store
 *   report         run the ETL on the store and write the report
 *   gen            write generated machine-data files
 */
import { mkdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, describeError, storeDeadLetters, type Broker, type Store } from '@sluice/core';
import { consume } from './consume.js';
import { generateFiles } from './generate.js';
import { produce } from './produce.js';
import { showProgress } from './progress.js';
import { writeReport } from './report.js';
import { runAll } from './run-all.js';
import { buildServer } from './server/app.js';
import { defaultNames, machineTables } from './tables.js';
import { brokerKinds, connectBroker, openStore, storeKinds, type BrokerKind, type StoreKind } from './wiring.js';

const usage = `Usage: pnpm full-pipeline [run|serve|produce|consume|report|gen] [options]
  --metrics FILE --workorders FILE   input files (JSON arrays); generated when absent (run)
  --out DIR                          report and embedded database directory (default ./sluice-out)
  --broker memory|redis|kafka        (default memory; separate processes need redis or kafka)
  --store sqlite|pg                  (default sqlite, in DIR/sluice.db)
  --speed N                          replay pacing of the APIs, N × real time (serve, run)
  --port N                           API port (serve: default 8080)
  --api URL                          producer input: the streaming API (default: the files)
  --incremental                      producer: resume after the cursor kept in the store
  --token T                          serve: bearer token the webhook requires
  --group G --consumer C             consume: consumer group and member name
  --idle-stop-ms N                   consume: end once idle this long with nothing left
  Environment: SLUICE_REDIS_URL, SLUICE_KAFKA_BROKERS, SLUICE_PG_URL.`;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    metrics: { type: 'string' },
    workorders: { type: 'string' },
    out: { type: 'string', default: 'sluice-out' },
    broker: { type: 'string', default: 'memory' },
    store: { type: 'string', default: 'sqlite' },
    speed: { type: 'string' },
    port: { type: 'string' },
    api: { type: 'string' },
    incremental: { type: 'boolean', default: false },
    token: { type: 'string' },
    group: { type: 'string' },
    consumer: { type: 'string' },
    'idle-stop-ms': { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

function numberOption(name: string): number | undefined {
  const text = values[name as keyof typeof values] as string | undefined;
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw new ConfigError(`--${name} must be a positive number, got "${text}"`, name);
  return n;
}

function choice<T extends string>(name: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) throw new ConfigError(`--${name} must be one of ${allowed.join(', ')}, got "${value}"`, name);
  return value as T;
}

function inputFiles(): { metrics: string; workorders: string } | undefined {
  if (!values.metrics && !values.workorders) return undefined;
  if (!values.metrics || !values.workorders) throw new ConfigError('give both --metrics and --workorders, or neither (to use generated data)', 'metrics');
  return { metrics: resolve(values.metrics), workorders: resolve(values.workorders) };
}

async function main(): Promise<void> {
  const command = positionals[0] ?? 'run';
  if (values.help) return void console.log(usage);
  const out = resolve(values.out!);
  const brokerKind = choice<BrokerKind>('broker', values.broker!, brokerKinds);
  const storeKind = choice<StoreKind>('store', values.store!, storeKinds);
  const names = defaultNames;
  const opened: { broker?: Broker; store?: Store } = {};
  const broker = async () => (opened.broker ??= await connectBroker(brokerKind, `sluice-${command}`));
  const store = async () => (opened.store ??= await openStore(storeKind, join(out, 'sluice.db')));
  try {
    switch (command) {
      case 'run': {
        await mkdir(out, { recursive: true });
        if (storeKind === 'sqlite') await rm(join(out, 'sluice.db'), { force: true });
        const files = inputFiles() ?? (await generateFiles(join(out, 'data')));
        console.error(`metrics: ${files.metrics}\nworkorders: ${files.workorders}\nbroker: ${brokerKind}, store: ${storeKind}`);
        const speed = numberOption('speed');
        const port = numberOption('port');
        const result = await runAll({ broker: await broker(), store: await store(), names, files, out, ...(speed ? { speed } : {}), ...(port ? { port } : {}) });
        console.error(`produced: read ${result.produced.read}, published ${result.produced.published}, rejected ${result.produced.rejected}`);
        console.error(`consumed: read ${result.consumed.read}, persisted ${result.consumed.persisted}, rejected ${result.consumed.rejected}`);
        console.log(`report (${result.products} products): ${result.files.html}\n  ${result.files.json}\n  ${result.files.md}`);
        return;
      }
      case 'serve': {
        const files = inputFiles();
        if (!files) throw new ConfigError('serve needs --metrics FILE and --workorders FILE', 'metrics');
        const speed = numberOption('speed');
        const ingestBroker = brokerKind === 'memory' ? undefined : await broker();
        const ingestStore = ingestBroker ? await store() : undefined;
        const app = buildServer({
          stream: { files, ...(speed ? { speed } : {}) },
          ...(ingestBroker && ingestStore
            ? { ingest: { broker: ingestBroker, names, deadLetters: storeDeadLetters(ingestStore), ...(values.token ? { token: values.token } : {}) } }
            : {}),
        });
        if (ingestStore) await ingestStore.migrate(machineTables(names));
        const address = await app.listen({ host: '127.0.0.1', port: numberOption('port') ?? 8080 });
        console.log(`serving ${address}/metrics and ${address}/workorders${ingestBroker ? `; webhook at ${address}/ingest/{metrics,workorders}` : ' (webhook off: give --broker redis|kafka)'}`);
        await new Promise<void>((done) => {
          process.once('SIGINT', done);
          process.once('SIGTERM', done);
        });
        await app.close();
        return;
      }
      case 'produce': {
        const files = inputFiles();
        const input = values.api ? { api: values.api } : files ? { files } : undefined;
        if (!input) throw new ConfigError('produce needs --api URL or --metrics and --workorders', 'api');
        const s = await store();
        await s.migrate(machineTables(names));
        const run = produce({ broker: await broker(), names, input, store: s, incremental: values.incremental!, handleSignals: true });
        showProgress('produce', run.status$);
        const summary = await run.done;
        console.log(JSON.stringify(summary));
        return;
      }
      case 'consume': {
        const s = await store();
        await s.migrate(machineTables(names));
        const idle = numberOption('idle-stop-ms');
        const run = consume({
          broker: await broker(),
          store: s,
          names,
          ...(values.group ? { group: values.group } : {}),
          ...(values.consumer ? { consumer: values.consumer } : {}),
          ...(idle ? { idleStopMs: idle } : {}),
          handleSignals: true,
        });
        showProgress('consume', run.status$);
        console.log(JSON.stringify(await run.done));
        return;
      }
      case 'report': {
        const { files, result } = await writeReport(await store(), names, out);
        console.log(`report (${result.products.length} products): ${files.html}\n  ${files.json}\n  ${files.md}`);
        return;
      }
      case 'gen': {
        const files = await generateFiles(join(out, 'data'));
        console.log(`${files.metrics}\n${files.workorders}`);
        return;
      }
      default:
        throw new ConfigError(`unknown command "${command}"\n${usage}`, 'command');
    }
  } finally {
    await opened.broker?.close();
    await opened.store?.close();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(`full-pipeline: ${error instanceof ConfigError ? error.message : describeError(error)}`);
    process.exit(error instanceof ConfigError ? 2 : 1);
  },
);
