/**
 * Turning measurements into the results file (`bench/results/<date>.json`) and the table of
 * `BENCHMARKS.md`. Pure, but for `writeReports`.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { PathKind } from './paths.js';
import type { ProcessOutcome } from './processes.js';

/** One run of one path, as measured. */
export interface Measurement {
  name: string;
  kind: PathKind;
  ceiling: string | null;
  rows: number;
  batchSize: number;
  seconds: number;
  processes: ProcessOutcome[];
  /** 1-minute load average before and after the run. */
  load: [number, number];
}

/** A path in the results file: the required fields first, then details. */
export interface PathResult {
  name: string;
  rowsPerSec: number;
  ceiling: string | null;
  ratio: number | null;
  cpuSec: number;
  peakRssMb: number;
  kind: PathKind;
  rows: number;
  seconds: number;
  batchSize: number;
  /** `redis-pg` only: its rows/s over the one-row-INSERT baseline's. */
  vsBaseline?: number;
  /** Rows/s of every round (`--repeat`); the reported one is `round`. */
  runs: number[];
  /** The round reported (1-based): for a ceiling and the paths measured against it, the same one. */
  round: number;
  loadAverage1m: { before: number; after: number };
  /** Per process: CPU, peak RSS, and when its work ended (seconds after the path's start). */
  processes: { role: string; pid: number; endedAfterSec: number; cpuSec: number; cpuTotalSec?: number; peakRssMb: number }[];
}

/** A target of the issue and whether this run met it. */
export interface TargetCheck {
  target: string;
  value: number;
  met: boolean;
}

/** The results file. */
export interface BenchResults {
  rows: number;
  machine: string;
  paths: PathResult[];
  date: string;
  command: string;
  data: { file: string; bytes: number; bytesPerRow: number };
  settings: Record<string, unknown>;
  loadAverage1m: { start: number; end: number };
  targets: TargetCheck[];
  /** The path that failed, when the run stopped on a failure. */
  failed?: { path: string; error: string };
}

/** Limits from the issue. */
export const TARGETS = { ratio: 0.8, vsBaseline: 40, peakRssMb: 250 } as const;

const round = (value: number, digits: number) => Number(value.toFixed(digits));

const rate = (m: Measurement) => m.rows / m.seconds;

/**
 * The round to report for each path, given every path's measurements by round: the round in which
 * the path's ceiling (or the path itself, for a ceiling) was fastest — the one least disturbed by
 * other load — so that a path and its ceiling always come from the same round, side by side.
 */
export function chooseRounds(measured: ReadonlyMap<string, readonly Measurement[]>): Map<string, number> {
  const fastest = (runs: readonly Measurement[]) => runs.reduce((best, m, i) => (rate(m) > rate(runs[best]!) ? i : best), 0);
  const chosen = new Map<string, number>();
  for (const [name, runs] of measured) {
    const anchor = measured.get(runs[0]!.ceiling ?? name) ?? runs;
    chosen.set(name, fastest(anchor));
  }
  return chosen;
}

/** The result of one path: round `index` of its measurements. */
export function pathResult(runs: readonly Measurement[], index: number): PathResult {
  const best = runs[index]!;
  return {
    name: best.name,
    rowsPerSec: Math.round(rate(best)),
    ceiling: best.ceiling,
    ratio: null,
    cpuSec: round(best.processes.reduce((sum, p) => sum + p.cpuSec, 0), 2),
    peakRssMb: round(Math.max(...best.processes.map((p) => p.peakRssMb)), 1),
    kind: best.kind,
    rows: best.rows,
    seconds: round(best.seconds, 3),
    batchSize: best.batchSize,
    runs: runs.map((m) => Math.round(rate(m))),
    round: index + 1,
    loadAverage1m: { before: round(best.load[0], 2), after: round(best.load[1], 2) },
    processes: best.processes.map((p) => ({
      role: p.role,
      pid: p.pid,
      endedAfterSec: round((p.endedAt - Math.min(...best.processes.map((q) => q.startedAt))) / 1000, 2),
      cpuSec: round(p.cpuSec, 2),
      ...(p.result ? { cpuTotalSec: round(p.result.cpuTotalSec, 2) } : {}),
      peakRssMb: round(p.peakRssMb, 1),
    })),
  };
}

/** Fills in ratios to the ceilings and to the baseline, and checks the targets. */
export function compare(paths: PathResult[]): TargetCheck[] {
  const byName = new Map(paths.map((p) => [p.name, p]));
  const checks: TargetCheck[] = [];
  for (const path of paths) {
    const ceiling = path.ceiling ? byName.get(path.ceiling) : undefined;
    if (ceiling) path.ratio = round(path.rowsPerSec / ceiling.rowsPerSec, 3);
    if (path.kind === 'sluice' && path.ratio !== null) {
      checks.push({ target: `${path.name} ≥ ${TARGETS.ratio} × ${path.ceiling}`, value: path.ratio, met: path.ratio >= TARGETS.ratio });
    }
  }
  const redis = byName.get('redis-pg');
  const baseline = byName.get('row-insert-baseline');
  if (redis && baseline) {
    redis.vsBaseline = round(redis.rowsPerSec / baseline.rowsPerSec, 1);
    checks.push({ target: `redis-pg ≥ ${TARGETS.vsBaseline} × row-insert-baseline`, value: redis.vsBaseline, met: redis.vsBaseline >= TARGETS.vsBaseline });
  }
  for (const path of paths) {
    for (const proc of path.processes) {
      checks.push({ target: `peak RSS of ${path.name}/${proc.role} < ${TARGETS.peakRssMb} MB`, value: proc.peakRssMb, met: proc.peakRssMb < TARGETS.peakRssMb });
    }
  }
  return checks;
}

const thousands = (n: number) => n.toLocaleString('en-US');

/** The Markdown table (with its command, machine and targets) of a results file. */
export function markdownTable(results: BenchResults, resultsFile: string): string {
  const lines = [
    `Command: \`${results.command}\` — ${results.date}, ${thousands(results.rows)} rows ` +
      `(${results.data.bytesPerRow.toFixed(1)} bytes a row, ${(results.data.bytes / 1e6).toFixed(0)} MB of CSV); results in \`${resultsFile}\`.`,
    '',
    `Machine: ${results.machine}. Load average (1 min): ${results.loadAverage1m.start} at the start, ${results.loadAverage1m.end} at the end.`,
    '',
    '| path | kind | ceiling | rows | batch | rows/s | ratio | CPU s | peak RSS MB (per process) | load 1m |',
    '| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | --- | ---: |',
  ];
  for (const p of results.paths) {
    const rss = p.processes.map((x) => `${x.peakRssMb.toFixed(0)} (${x.role})`).join(', ');
    const ratio = p.ratio === null ? '—' : p.ratio.toFixed(2) + (p.vsBaseline !== undefined ? `; ${p.vsBaseline}× baseline` : '');
    lines.push(
      `| ${p.name} | ${p.kind} | ${p.ceiling ?? '—'} | ${thousands(p.rows)} | ${thousands(p.batchSize)} | ${thousands(p.rowsPerSec)} | ${ratio} | ` +
        `${p.cpuSec.toFixed(2)} | ${rss} | ${p.loadAverage1m.before.toFixed(1)}→${p.loadAverage1m.after.toFixed(1)} |`,
    );
  }
  const missed = results.targets.filter((t) => !t.met);
  const shown = results.targets.filter((t) => !t.target.startsWith('peak RSS'));
  lines.push('', 'Targets:', '');
  for (const t of shown) lines.push(`- ${t.met ? 'met' : '**missed**'}: ${t.target} (${t.value})`);
  const rss = results.targets.filter((t) => t.target.startsWith('peak RSS'));
  const worst = rss.reduce<TargetCheck | undefined>((a, b) => (a === undefined || b.value > a.value ? b : a), undefined);
  if (worst) {
    const over = rss.filter((t) => !t.met).map((t) => `${t.target.replace(/^peak RSS of | <.*$/g, '')} (${t.value})`);
    lines.push(
      over.length === 0
        ? `- met: peak RSS of every process < ${TARGETS.peakRssMb} MB (largest ${worst.value} MB, ${worst.target.replace(/^peak RSS of | <.*$/g, '')})`
        : `- **missed**: peak RSS < ${TARGETS.peakRssMb} MB for ${over.join(', ')}`,
    );
  }
  lines.push('', missed.length === 0 ? 'Every target met.' : `${missed.length} target(s) missed.`);
  return lines.join('\n');
}

const START = '<!-- bench:results:start -->';
const END = '<!-- bench:results:end -->';

/** Writes the results file, and replaces the table between the markers of `markdownFile` if asked. */
export async function writeReports(results: BenchResults, resultsFile: string, shownPath: string, markdownFile: string | undefined): Promise<string> {
  await mkdir(dirname(resultsFile), { recursive: true });
  await writeFile(resultsFile, `${JSON.stringify(results, null, 2)}\n`);
  const table = markdownTable(results, shownPath);
  if (markdownFile) {
    const text = await readFile(markdownFile, 'utf8').catch(() => `# Benchmarks\n\n${START}\n${END}\n`);
    const from = text.indexOf(START);
    const to = text.indexOf(END);
    if (from === -1 || to < from) throw new Error(`${markdownFile} has no ${START} … ${END} markers; add them where the table goes.`);
    await writeFile(markdownFile, `${text.slice(0, from + START.length)}\n${table}\n${text.slice(to)}`);
  }
  return table;
}
