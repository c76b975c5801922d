/**
 * The vehicle-events benchmark (`pnpm bench:vehicle-events`, not part of the tests): a month of
 * events, at least ten million lines, loaded into SQLite and into PostgreSQL.
 *
 * For each store: a first load of the whole lake (time, lines/s, peak RSS), a second run with
 * nothing new (time), and the report (time, and the answers checked against the ground truth).
 * Targets (issue 13): ≤ 3 min for the month on either store, peak RSS < 250 MB, a re-run of the
 * whole lake with nothing new ≤ 5 s. Results: a table on stdout and JSON in bench/vehicle-events/results/.
 *
 * Options: --lines N (10000000) --days D (30) --stores sqlite,pg --batch N --lake DIR (reused when
 * its truth file matches; default $TMPDIR/sluice-bench-vehicle-events-N).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { serviceUrls } from '@sluice/core';
import { generateLake, type TruthFile } from '../../examples/vehicle-events/src/generate.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const root = join(here, '../..');
const { values } = parseArgs({
  options: {
    lines: { type: 'string', default: '10000000' },
    days: { type: 'string', default: '30' },
    stores: { type: 'string', default: 'sqlite,pg' },
    batch: { type: 'string' },
    lake: { type: 'string' },
  },
});
const lines = Number(values.lines);
const days = Number(values.days);
// A vehicle on a working day sends a fix every 15–45 s from about 06:00 to 23:15, and takes about
// one day in twelve off: some 1,900 lines a day.
const vehicles = Math.max(1, Math.ceil(lines / (days * 1900)));
const lake = values.lake ?? join(tmpdir(), `sluice-bench-vehicle-events-${lines}`);

interface Step {
  step: string;
  ms: number;
  maxRssMb: number;
  summary?: { read: number; persisted: number; rejected: number };
  files?: Record<string, number>;
  periods?: number;
  overallAverageKm?: number | null;
}

function child(args: string[]): Step {
  const out = execFileSync(join(root, 'examples/vehicle-events/node_modules/.bin/tsx'), ['--conditions=source', join(here, 'child.ts'), ...args], {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 1 << 26,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return JSON.parse(out.trim().split('\n').pop()!) as Step;
}

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
  console.error(`generated ${result.lines} lines in ${result.files} files (${vehicles} vehicles, ${days} days) in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return JSON.parse(await readFile(truthFile, 'utf8')) as TruthFile;
}

const truth = await ensureLake();
const results: Record<string, unknown>[] = [];
for (const kind of values.stores.split(',')) {
  const schema = `bench_ve_${Date.now().toString(36)}`;
  const dbFile = join(tmpdir(), `${schema}.db`);
  const url = kind === 'pg' ? serviceUrls.pg : `sqlite:${dbFile}`;
  const args = (step: string) => [step, url, schema, lake, ...(values.batch ? [values.batch] : [])];
  console.error(`${kind}: first load…`);
  const first = child(args('etl'));
  console.error(`${kind}: ${(first.ms / 1000).toFixed(1)} s, ${Math.round(first.summary!.read / (first.ms / 1000))} lines/s, peak RSS ${first.maxRssMb.toFixed(0)} MB`);
  const again = child(args('etl'));
  const report = child(args('report'));
  const off = report.overallAverageKm! / truth.overallAverageKm! - 1;
  results.push({
    store: kind,
    lines: first.summary!.read,
    rejected: first.summary!.rejected,
    loadSec: first.ms / 1000,
    linesPerSec: first.summary!.read / (first.ms / 1000),
    loadPeakRssMb: first.maxRssMb,
    rerunSec: again.ms / 1000,
    rerunRead: again.summary!.read,
    reportSec: report.ms / 1000,
    reportPeakRssMb: report.maxRssMb,
    overallAverageKm: report.overallAverageKm,
    truthOverallAverageKm: truth.overallAverageKm,
    relativeError: off,
  });
  if (kind === 'pg') {
    const { createPgStore } = await import('@sluice/store-pg');
    const admin = createPgStore({ connectionString: serviceUrls.pg });
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.close();
  } else {
    await rm(dbFile, { force: true });
    await rm(`${dbFile}-wal`, { force: true });
    await rm(`${dbFile}-shm`, { force: true });
  }
}

const row = (r: Record<string, unknown>) =>
  `| ${r.store} | ${r.lines} | ${(r.loadSec as number).toFixed(1)} s | ${Math.round(r.linesPerSec as number)} | ${(r.loadPeakRssMb as number).toFixed(0)} MB | ${(r.rerunSec as number).toFixed(1)} s | ${(r.reportSec as number).toFixed(1)} s | ${((r.relativeError as number) * 100).toExponential(1)} % |`;
console.log(`Vehicle events, ${truth.counts.lines} lines (${truth.counts.files} files, ${days} days, ${vehicles} vehicles), ${new Date().toISOString().slice(0, 10)}
| store | lines | first load | lines/s | peak RSS | re-run, nothing new | report | overall average vs truth |
| --- | --- | --- | --- | --- | --- | --- | --- |
${results.map(row).join('\n')}
Targets: load ≤ 180 s, peak RSS < 250 MB, re-run ≤ 5 s.`);
await mkdir(join(here, 'results'), { recursive: true });
await writeFile(join(here, 'results', `${new Date().toISOString().slice(0, 10)}-${truth.counts.lines}.json`), JSON.stringify({ lake: truth.counts, vehicles, days, results }, null, 2) + '\n');
