/**
 * The vehicle-events benchmark (`pnpm bench:vehicle-events`, not part of the tests): a month of
 * events, at least ten million lines, loaded into SQLite and into PostgreSQL.
 *
 * For each store: a first load of the whole lake, a second run with nothing new, and the report,
 * each in its own process (`child.ts`, which opens the store as the CLI does): wall time (from the
 * store's opening to the answer; for the re-run also of the whole process, start-up included), CPU
 * seconds and peak RSS of that process, the CPU of the PostgreSQL backends serving it (when the
 * server runs on this machine), and the 1-minute load average before and after (the machine may
 * be shared: CPU seconds say what the step cost whatever else ran). The report's answers are
 * checked against the generator's ground truth, period by period.
 * Targets (issue 13): ≤ 3 min for the month on either store, peak RSS < 250 MB, a re-run of the
 * whole lake with nothing new ≤ 5 s. Results: a table on stdout and JSON in bench/vehicle-events/results/.
 *
 * Options: --lines N (10000000) --days D (30) --stores sqlite,pg --batch N --lake DIR (reused when
 * its truth file matches; default $TMPDIR/sluice-bench-vehicle-events-N) --keep-lake (else a lake
 * this run generated is deleted at the end).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { serviceUrls } from '@sluice/core';
import type { PeriodAnswer } from '../../examples/vehicle-events/src/answers.js';
import { generateLake, type TruthFile } from '../../examples/vehicle-events/src/generate.js';
import { serverCpu } from '../lib/server-cpu.js';
import { BENCH_APPLICATION } from './application.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const root = join(here, '../..');
const { values } = parseArgs({
  options: {
    lines: { type: 'string', default: '10000000' },
    days: { type: 'string', default: '30' },
    stores: { type: 'string', default: 'sqlite,pg' },
    batch: { type: 'string' },
    lake: { type: 'string' },
    'keep-lake': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help === true) {
  console.log(`usage: pnpm bench:vehicle-events [--lines N] [--days D] [--stores sqlite,pg] [--batch N] [--lake DIR] [--keep-lake]

A month of vehicle events (at least --lines lines) loaded into each store: a first load of the whole
lake, a re-run with nothing new, and the report, each in its own process, with wall, CPU, peak RSS,
the PostgreSQL backends' CPU and the answers checked against the generator's ground truth.
  --lines N      lines of the lake, at least (10,000,000)
  --days D       days of the lake (30)
  --stores LIST  sqlite, pg or both (sqlite,pg)
  --batch N      rows per write (the ETL's own default)
  --lake DIR     the lake, reused when its truth file matches ($TMPDIR/sluice-bench-vehicle-events-N)
  --keep-lake    keep a lake this run generated (else it is deleted at the end)
Results: a table on stdout and JSON in bench/vehicle-events/results/.`);
  process.exit(0);
}
const lines = Number(values.lines);
const days = Number(values.days);
// A vehicle on a working day sends a fix every 15–45 s from about 06:00 to 23:15, and takes about
// one day in twelve off: some 1,880 lines a day (1,850 here, so that the lake has at least `lines`).
const vehicles = Math.max(1, Math.ceil(lines / (days * 1850)));
const lake = values.lake ?? join(tmpdir(), `sluice-bench-vehicle-events-${lines}`);

/** What a child prints, plus what the parent measured around it. */
interface Step {
  step: string;
  ms: number;
  cpuSec: number;
  maxRssMb: number;
  summary?: { read: number; persisted: number; rejected: number };
  files?: Record<string, number>;
  periods?: PeriodAnswer[];
  overallAverageKm?: number | null;
  /** CPU seconds of the PostgreSQL backends that served the step. */
  serverCpuSec?: number;
  /** 1-minute load average before and after. */
  load: [number, number];
  /** Wall time of the whole process (start-up, migrations check and exit included). */
  processMs: number;
}

async function child(args: string[], pgUrl: string | undefined): Promise<Step> {
  const loadBefore = loadavg()[0]!;
  const server = pgUrl === undefined ? undefined : serverCpu(pgUrl, { applicationName: BENCH_APPLICATION });
  const started = performance.now();
  const out = await new Promise<string>((resolve, reject) => {
    const process_ = execFile(
      join(root, 'examples/vehicle-events/node_modules/.bin/tsx'),
      ['--conditions=source', join(here, 'child.ts'), ...args],
      { cwd: root, encoding: 'utf8', maxBuffer: 1 << 26 },
      (error, stdout) => (error ? reject(error) : resolve(stdout)),
    );
    process_.stderr?.pipe(process.stderr);
  });
  const processMs = performance.now() - started;
  const serverCpuSec = await server?.stop();
  const step = JSON.parse(out.trim().split('\n').pop()!) as Omit<Step, 'load' | 'processMs'>;
  return { ...step, ...(serverCpuSec !== undefined ? { serverCpuSec } : {}), load: [loadBefore, loadavg()[0]!], processMs };
}

/** Whether this run generated the lake (then it deletes it at the end, unless --keep-lake). */
let generated = false;

async function ensureLake(): Promise<TruthFile> {
  const truthFile = join(lake, 'truth.json');
  if (existsSync(truthFile)) {
    const truth = JSON.parse(await readFile(truthFile, 'utf8')) as TruthFile;
    if (truth.counts.lines >= lines * 0.95) {
      console.error(`reusing the lake ${lake} (${truth.counts.lines} lines)`);
      return truth;
    }
  }
  await rm(lake, { recursive: true, force: true });
  const started = performance.now();
  const result = await generateLake({ out: lake, days, vehicles, seed: 42 });
  generated = true;
  console.error(`generated ${result.lines} lines in ${result.files} files (${vehicles} vehicles, ${days} days) in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return JSON.parse(await readFile(truthFile, 'utf8')) as TruthFile;
}

/** How far the answers are from the truth: the largest relative error of a period's average, and whether periods and vehicle counts agree. */
function compare(answers: PeriodAnswer[], truth: TruthFile): { samePeriods: boolean; maxRelativeError: number } {
  const samePeriods =
    answers.length === truth.operatingPeriods.length &&
    answers.every((p, i) => {
      const t = truth.operatingPeriods[i]!;
      return p.id === t.id && p.start === t.start && p.finish === t.finish && p.vehicles === t.vehicles;
    });
  let maxRelativeError = 0;
  answers.forEach((p, i) => {
    const expected = truth.operatingPeriods[i]?.averageDistanceKm;
    if (expected === null || expected === undefined || p.averageDistanceKm === null) return;
    maxRelativeError = Math.max(maxRelativeError, Math.abs(p.averageDistanceKm / expected - 1));
  });
  return { samePeriods, maxRelativeError };
}

const truth = await ensureLake();
const results: Record<string, unknown>[] = [];
for (const kind of values.stores.split(',')) {
  const schema = `bench_ve_${Date.now().toString(36)}`;
  const dbFile = join(tmpdir(), `${schema}.db`);
  const pgUrl = kind === 'pg' ? serviceUrls.pg : undefined;
  const url = pgUrl ?? `sqlite:${dbFile}`;
  const args = (step: string) => [step, url, schema, lake, ...(values.batch ? [values.batch] : [])];
  try {
    console.error(`${kind}: first load…`);
    const first = await child(args('etl'), pgUrl);
    console.error(`${kind}: ${(first.ms / 1000).toFixed(1)} s, ${Math.round(first.summary!.read / (first.ms / 1000))} lines/s, CPU ${first.cpuSec.toFixed(1)} s, peak RSS ${first.maxRssMb.toFixed(0)} MB`);
    const again = await child(args('etl'), pgUrl);
    const report = await child(args('report'), pgUrl);
    const { samePeriods, maxRelativeError } = compare(report.periods!, truth);
    const step = (s: Step) => ({
      sec: s.ms / 1000,
      processSec: s.processMs / 1000,
      cpuSec: s.cpuSec,
      ...(s.serverCpuSec !== undefined ? { serverCpuSec: s.serverCpuSec } : {}),
      peakRssMb: s.maxRssMb,
      load1m: s.load,
    });
    results.push({
      store: kind,
      lines: first.summary!.read,
      rejected: first.summary!.rejected,
      linesPerSec: first.summary!.read / (first.ms / 1000),
      load: step(first),
      rerun: { ...step(again), read: again.summary!.read, files: again.files },
      report: { ...step(report), periods: report.periods!.length },
      overallAverageKm: report.overallAverageKm,
      truthOverallAverageKm: truth.overallAverageKm,
      relativeError: report.overallAverageKm! / truth.overallAverageKm! - 1,
      samePeriodsAndVehicles: samePeriods,
      maxPeriodRelativeError: maxRelativeError,
    });
  } finally {
    if (kind === 'pg') {
      const { createPgStore } = await import('@sluice/store-pg');
      const admin = createPgStore({ connectionString: serviceUrls.pg });
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await admin.close();
    } else {
      for (const suffix of ['', '-wal', '-shm']) await rm(`${dbFile}${suffix}`, { force: true });
    }
  }
}
if (generated && !values['keep-lake']) await rm(lake, { recursive: true, force: true });

type StepResult = { sec: number; processSec: number; cpuSec: number; serverCpuSec?: number; peakRssMb: number; load1m: [number, number] };
const cpu = (s: StepResult) => `${s.cpuSec.toFixed(1)}${s.serverCpuSec === undefined ? '' : ` + ${s.serverCpuSec.toFixed(1)}`}`;
const load = (s: StepResult) => `${s.load1m[0].toFixed(1)}–${s.load1m[1].toFixed(1)}`;
const row = (r: Record<string, unknown>) => {
  const [first, again, report] = [r.load, r.rerun, r.report] as StepResult[];
  return (
    `| ${r.store} | ${r.lines} | ${first!.sec.toFixed(1)} s | ${Math.round(r.linesPerSec as number)} | ${cpu(first!)} | ${first!.peakRssMb.toFixed(0)} MB | ${load(first!)} ` +
    `| ${again!.sec.toFixed(1)} s, process ${again!.processSec.toFixed(1)} s (${cpu(again!)}) | ${report!.sec.toFixed(1)} s (${cpu(report!)}), ${report!.peakRssMb.toFixed(0)} MB ` +
    `| ${r.samePeriodsAndVehicles ? 'same' : 'DIFFERENT'}, max ${((r.maxPeriodRelativeError as number) * 100).toExponential(1)} % |`
  );
};
console.log(`Vehicle events, ${truth.counts.lines} lines (${truth.counts.files} files, ${days} days, ${vehicles} vehicles), ${new Date().toISOString().slice(0, 10)}
CPU s: the measured process + the PostgreSQL backends serving it. Load: 1-minute load average before–after the load.
| store | lines | first load | lines/s | CPU s | peak RSS | load | re-run, nothing new: in process, whole process (CPU s) | report (CPU s), peak RSS | periods and vehicles vs truth, largest error of an average |
| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |
${results.map(row).join('\n')}
Targets: load ≤ 180 s, peak RSS < 250 MB, re-run ≤ 5 s.`);
await mkdir(join(here, 'results'), { recursive: true });
await writeFile(join(here, 'results', `${new Date().toISOString().slice(0, 10)}-${truth.counts.lines}.json`), JSON.stringify({ lake: truth.counts, vehicles, days, results }, null, 2) + '\n');
