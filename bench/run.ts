/**
 * `pnpm bench [--rows N] [--only name,name] …`: end-to-end benchmarks of the Sluice paths against
 * hand-written ceilings and a one-row-INSERT baseline, on the same generated data in the same run.
 *
 * Generates the trips CSV (streamed), then runs each path in child processes of its own (a
 * ceiling right before the Sluice path it bounds), checks that exactly the expected rows landed,
 * cleans up, and writes `bench/results/<date>.json` and the table in `BENCHMARKS.md`. Needs
 * PostgreSQL, Redis, Kafka and RabbitMQ (`pnpm services:up`); URLs from SLUICE_PG_URL, SLUICE_REDIS_URL,
 * SLUICE_KAFKA_BROKERS, SLUICE_RABBITMQ_URL. See BENCHMARKS.md for what each path does.
 */
import { mkdir } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serviceUrls } from '@sluice/core';
import { parseBenchArgs, type BenchSettings } from './lib/args.js';
import { buildWorkers } from './lib/build.js';
import { tripsFile } from './lib/generate.js';
import { describeMachine } from './lib/machine.js';
import { PATHS, type PathDef } from './lib/paths.js';
import { runProcesses } from './lib/processes.js';
import { chooseRounds, compare, pathResult, writeReports, type BenchResults, type Measurement } from './lib/report.js';
import { Targets } from './lib/targets.js';

const log = (message: string) => console.error(`[bench] ${message}`);
const load1 = () => loadavg()[0]!;

/** Runs one path once: plan, processes, row check, cleanup. */
async function measure(path: PathDef, settings: BenchSettings, targets: Targets, file: string, id: string, profileDir: string | undefined): Promise<Measurement> {
  const plan = await path.plan({ settings, targets, file, id });
  try {
    const before = load1();
    const lettersBefore = await targets.countDeadLetters();
    const outcomes = await runProcesses(plan.specs, {
      ...(plan.beforeGo ? { beforeGo: plan.beforeGo } : {}),
      timeoutMs: 120_000 + (plan.rows / 5000) * 1000,
      ...(profileDir ? { profileDir: join(profileDir, path.name) } : {}),
    });
    const after = load1();
    const landed = await plan.count();
    if (landed !== plan.rows) throw new Error(`${path.name} landed ${landed} rows, expected exactly ${plan.rows}`);
    const letters = (await targets.countDeadLetters()) - lettersBefore;
    if (letters !== 0) throw new Error(`${path.name} wrote ${letters} dead letters; the generated data has no bad rows`);
    const start = Math.min(...outcomes.map((o) => o.startedAt));
    const end = Math.max(...outcomes.filter((o) => o.role === plan.endRole).map((o) => o.endedAt));
    return { name: path.name, kind: path.kind, ceiling: path.ceiling, rows: plan.rows, batchSize: plan.batchSize, seconds: (end - start) / 1000, processes: outcomes, load: [before, after] };
  } finally {
    await plan.cleanup();
  }
}

async function main(): Promise<void> {
  const settings = parseBenchArgs(process.argv.slice(2), PATHS.map((p) => p.name));
  const selected = PATHS.filter((p) => settings.only?.includes(p.name) ?? true);
  const date = new Date().toISOString().slice(0, 10);
  const runId = Math.random().toString(36).slice(2, 8);
  const loadStart = load1();
  await buildWorkers();
  log(`generating ${settings.rows.toLocaleString('en-US')} rows of trips…`);
  const data = await tripsFile(settings.rows);
  log(`${data.written ? 'wrote' : 'reusing'} ${data.path} (${(data.bytes / 1e6).toFixed(1)} MB)`);
  const urls = { ...serviceUrls, rabbitmq: process.env.SLUICE_RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672' };
  const targets = await Targets.open(urls, runId).catch((error: unknown) => {
    throw new Error(`cannot reach PostgreSQL at ${serviceUrls.pg} (${String(error)}); start the services with \`pnpm services:up\` or set SLUICE_PG_URL.`);
  });
  const profileDir = settings.profile ? fileURLToPath(new URL(`results/profiles/${date}-${runId}/`, import.meta.url)) : undefined;
  if (profileDir) await mkdir(profileDir, { recursive: true });
  const measured = new Map<string, Measurement[]>();
  let machine = 'unknown';
  /** The path that failed and why: the run stops there, but what was measured is still written. */
  let failed: { path: string; error: string } | undefined;
  let current = '';
  try {
    machine = await describeMachine(targets);
    for (let round = 1; round <= settings.repeat; round++) {
      for (const path of selected) {
        current = path.name;
        log(`${path.name} (round ${round}/${settings.repeat})…`);
        const m = await measure(path, settings, targets, data.path, `${runId}_${round}`, profileDir);
        log(`${path.name}: ${Math.round(m.rows / m.seconds).toLocaleString('en-US')} rows/s, ${m.seconds.toFixed(2)} s, peak RSS ${m.processes.map((p) => `${p.role} ${p.peakRssMb.toFixed(0)} MB`).join(', ')}`);
        measured.set(path.name, [...(measured.get(path.name) ?? []), m]);
      }
    }
  } catch (error) {
    failed = { path: current, error: error instanceof Error ? error.message : String(error) };
    console.error(`[bench] ${current} failed:`, error);
  } finally {
    await targets.close().catch((error: unknown) => log(`cleanup failed: ${String(error)}`));
  }
  const rounds = chooseRounds(measured);
  const paths = selected.filter((p) => measured.has(p.name)).map((p) => pathResult(measured.get(p.name)!, rounds.get(p.name)!));
  const results: BenchResults = {
    rows: settings.rows,
    machine,
    paths,
    date,
    command: ['pnpm bench', ...process.argv.slice(2)].join(' '),
    data: { file: data.path, bytes: data.bytes, bytesPerRow: Number((data.bytes / settings.rows).toFixed(1)) },
    settings: { ...settings, only: settings.only ?? 'all' },
    loadAverage1m: { start: Number(loadStart.toFixed(2)), end: Number(load1().toFixed(2)) },
    targets: compare(paths),
    ...(failed ? { failed } : {}),
  };
  const partial = settings.only !== undefined || failed !== undefined;
  const name = settings.out ?? `results/${date}${partial || settings.rows !== 1_000_000 ? `-${settings.rows}${partial ? '-partial' : ''}` : ''}.json`;
  const resultsFile = fileURLToPath(new URL(name, new URL('./', import.meta.url)));
  const markdown = settings.markdown && !failed ? fileURLToPath(new URL('../BENCHMARKS.md', import.meta.url)) : undefined;
  const table = await writeReports(results, resultsFile, `bench/${name}`, markdown);
  console.log(table);
  log(`results in ${resultsFile}${markdown ? `; table updated in ${markdown}` : ''}${profileDir ? `; CPU profiles in ${profileDir}` : ''}`);
  if (failed) throw new Error(`${failed.path} failed (the results of the paths before it are in ${resultsFile}): ${failed.error}`);
}

main().catch((error: unknown) => {
  console.error('[bench] failed:', error);
  process.exit(1);
});
