/**
 * `pnpm bench:year [--days N] [--store sqlite|pg|URL] [--parameters N] [--products N] [--out DIR]`:
 * the machine-data job at a year's scale, as a new user runs it. Generates a year of per-minute
 * samples of 40 parameters and work-order readings every 15 min for 5 products (about 21M
 * samples and 175k readings; reused when already there), runs `pnpm full-pipeline` on them with
 * the embedded defaults (or `--store`), then `pnpm full-pipeline report` alone, sampling each
 * process's peak RSS, and checks that every product's top three are its planted drivers.
 * Targets (issue 10): end to end ≤ 300 s, peak RSS < 250 MB in every process. Writes
 * `bench/results/<date>-full-pipeline-year-<days>d-<store>.json`. Child processes of a run (the API process,
 * tsx's esbuild service) are sampled too: every process must stay under the RSS target.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { integerOption, parseCommandLine, runMain } from '@sluice/runtime';
import { cpuSecondsOf, parentOf, peakRssMbOf } from './lib/proc.js';
import { scriptSettings } from './lib/script-flags.js';

const usage = `Usage: pnpm bench:year [--days N (365)] [--parameters N (40)] [--products N (5)] [--store sqlite|pg|URL (sqlite)] [--data DIR] [--out DIR]
  Generates a year of machine data (kept in --data, default $TMPDIR/sluice-year-<days>d) and runs
  pnpm full-pipeline on it, then the report alone; prints and writes the figures.`;

const root = fileURLToPath(new URL('..', import.meta.url));
const log = (line: string) => console.error(`[bench:year] ${line}`);

/** The node flags and environment of the `pnpm full-pipeline` script: the bench runs the commands as the script does. */
const { nodeFlags, env: scriptEnv } = scriptSettings(root, 'full-pipeline');

/** Peak RSS (MiB, VmHWM) and CPU seconds of a live process, from /proc. */
function sample(pid: number): { rssMb: number; cpuSec: number } | undefined {
  const rssMb = peakRssMbOf(pid);
  const cpuSec = cpuSecondsOf(pid);
  return rssMb === undefined || cpuSec === undefined ? undefined : { rssMb, cpuSec };
}

/** The pids of a process's children and their children, from /proc. */
function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const ppid = parentOf(Number(entry));
    if (ppid !== undefined) children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]); // else gone meanwhile
  }
  const found: number[] = [];
  const walk = (p: number) => (children.get(p) ?? []).forEach((c) => (found.push(c), walk(c)));
  walk(pid);
  return found;
}

/** Runs a node script with tsx in one process (no tsx launcher child), sampling it and its child processes; resolves with its figures. */
async function runSampled(label: string, args: string[]): Promise<{ seconds: number; peakRssMb: number; cpuSec: number; children: { rssMb: number; cpuSec: number }[]; stderr: string; stdout: string }> {
  const started = Date.now();
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=source', ...nodeFlags, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...scriptEnv, SLUICE_PROGRESS_INTERVAL_MS: '10000' } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString();
    for (const line of c.toString().split('\n')) if (line.trim()) log(`${label}: ${line}`);
  });
  let last = { rssMb: 0, cpuSec: 0 };
  /** Peak RSS and last CPU seconds of each child process (by pid), e.g. the run's API process. */
  const others = new Map<number, { rssMb: number; cpuSec: number }>();
  let ticks = 0;
  const timer = setInterval(() => {
    const now = child.pid ? sample(child.pid) : undefined;
    if (now) last = { rssMb: Math.max(last.rssMb, now.rssMb), cpuSec: now.cpuSec };
    if (child.pid && ticks++ % 4 === 0) {
      for (const pid of descendants(child.pid)) {
        const figures = sample(pid);
        if (figures) others.set(pid, { rssMb: Math.max(others.get(pid)?.rssMb ?? 0, figures.rssMb), cpuSec: figures.cpuSec });
      }
    }
  }, 250);
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  clearInterval(timer);
  if (code !== 0) throw new Error(`${label} exited with ${code}:\n${stderr.slice(-2000)}`);
  const children = [...others.values()].filter((c) => c.rssMb > 0);
  return { seconds: (Date.now() - started) / 1000, peakRssMb: last.rssMb, cpuSec: last.cpuSec, children, stderr, stdout };
}

interface Truth {
  products: { product: number | string; drivers: { parameter: number | string }[] }[];
}
interface Report {
  products: { product: number | string; ranking: { parameter: number | string }[] }[];
}

/** Per product: planted drivers found in its top three, out of those planted. */
function recall(truth: Truth, report: Report): { product: string; found: number; planted: number }[] {
  return truth.products.map((t) => {
    const top = (report.products.find((p) => String(p.product) === String(t.product))?.ranking ?? []).slice(0, 3).map((r) => String(r.parameter));
    return { product: String(t.product), found: t.drivers.filter((d) => top.includes(String(d.parameter))).length, planted: t.drivers.length };
  });
}

void runMain('bench:year', async () => {
  const { values } = parseCommandLine(process.argv.slice(2), {
    usage,
    options: { days: { type: 'string' }, parameters: { type: 'string' }, products: { type: 'string' }, store: { type: 'string' }, data: { type: 'string' }, out: { type: 'string' } },
  });
  const days = integerOption('days', values.days, { min: 1, max: 3650 }) ?? 365;
  const parameters = integerOption('parameters', values.parameters, { min: 2 }) ?? 40;
  const products = integerOption('products', values.products, { min: 1 }) ?? 5;
  const store = values.store ?? 'sqlite';
  const data = values.data ?? join(tmpdir(), `sluice-year-${days}d-${parameters}p-${products}w`);
  const out = values.out ?? join(tmpdir(), `sluice-year-out-${Date.now()}`);
  const files = { metrics: join(data, 'metrics.json'), workorders: join(data, 'workorder.json'), truth: join(data, 'truth.json') };

  let generation: Awaited<ReturnType<typeof runSampled>> | undefined;
  if (!existsSync(files.truth)) {
    log(`generating ${days} days × ${parameters} parameters at 1/min, ${products} products every 15 min into ${data} …`);
    generation = await runSampled('gen', [
      'examples/full-pipeline/src/gen-cli.ts', 'machine-data', '--out', data, '--days', String(days), '--parameters', String(parameters),
      '--products', String(products), '--metric-interval-s', '60', '--workorder-interval-s', '900', '--seed', '2026',
    ]);
  } else log(`reusing the data in ${data}`);
  const metricsBytes = (await readFile(files.metrics)).byteLength;

  log(`pnpm full-pipeline --store ${store} …`);
  const run = await runSampled('run', ['examples/full-pipeline/src/cli.ts', '--metrics', files.metrics, '--workorders', files.workorders, '--out', out, '--store', store]);
  const records = /produced: read (\d+)/.exec(run.stderr)?.[1];
  log('pnpm full-pipeline report (alone) …');
  const report = await runSampled('report', ['examples/full-pipeline/src/cli.ts', 'report', '--out', out, '--store', store]);

  const truth = JSON.parse(await readFile(files.truth, 'utf8')) as Truth;
  const found = recall(truth, JSON.parse(await readFile(join(out, 'report.json'), 'utf8')) as Report);
  const results = {
    date: new Date().toISOString(),
    command: ['pnpm bench:year', ...process.argv.slice(2)].join(' '),
    machine: { cpus: cpus().length, loadAverage1m: loadavg()[0] },
    data: { days, parameters, products, records: records ? Number(records) : undefined, metricsBytes },
    store,
    generation: generation && { seconds: generation.seconds, peakRssMb: generation.peakRssMb },
    run: { seconds: run.seconds, cpuSec: run.cpuSec, peakRssMb: run.peakRssMb, children: run.children, recordsPerSecond: records ? Math.round(Number(records) / run.seconds) : undefined },
    report: { seconds: report.seconds, cpuSec: report.cpuSec, peakRssMb: report.peakRssMb, children: report.children },
    topThree: found,
    targets: {
      endToEndAtMost300s: run.seconds <= 300,
      peakRssBelow250MB: Math.max(run.peakRssMb, report.peakRssMb, ...run.children.map((c) => c.rssMb), ...report.children.map((c) => c.rssMb)) < 250,
      plantedOnTop: found.every((f) => f.found === Math.min(3, f.planted)),
    },
  };
  const dir = join(root, 'bench/results');
  await mkdir(dir, { recursive: true });
  const file = join(dir, `${results.date.slice(0, 10)}-full-pipeline-year-${days}d-${store.replace(/[^a-z0-9]+/gi, '_').slice(0, 20)}.json`);
  await writeFile(file, `${JSON.stringify(results, null, 2)}\n`);
  console.log(JSON.stringify(results, null, 2));
  log(`results in ${file}`);
});
