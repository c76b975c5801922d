/**
 * The commands as a user runs them, from an empty folder: `gen --out lake --days 3`, `etl --lake
 * lake`, `report --json` on the default SQLite file, then the same against PostgreSQL with
 * `--store postgres://…`; the `--json` shape exactly; help and usage errors; and `--schedule`
 * loading a day that appears while it waits.
 */
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '@sluice/core';
import { parseCli } from '../src/cli-options.js';
import { generateLake, type TruthFile } from '../src/generate.js';
import { collect, runCli, spawnCli, type CliResult } from './support/cli.js';
import { smallLake } from './support/lake.js';
import { openWarehouse, pgReachable, tempDir, type TestWarehouse } from './support/warehouse.js';

const pg = await pgReachable();

/** Asserts the exact `--json` shape of the issue and returns it. */
function reportJson(result: CliResult): { operatingPeriods: Record<string, unknown>[]; overallAverageKm: number } {
  expect(result.code, result.stderr).toBe(0);
  const parsed = JSON.parse(result.stdout) as { operatingPeriods: Record<string, unknown>[]; overallAverageKm: number };
  expect(Object.keys(parsed)).toEqual(['operatingPeriods', 'overallAverageKm']);
  expect(parsed.operatingPeriods.length).toBeGreaterThan(0);
  for (const p of parsed.operatingPeriods) {
    expect(Object.keys(p)).toEqual(['id', 'start', 'finish', 'vehicles', 'averageDistanceKm']);
    expect(typeof p.id).toBe('string');
    expect(new Date(p.start as string).toISOString()).toBe(p.start);
    expect(Number.isInteger(p.vehicles)).toBe(true);
  }
  expect(typeof parsed.overallAverageKm).toBe('number');
  return parsed;
}

/** Compares a report with the truth file: same periods, averages within 0.5 %. */
function expectTruth(report: ReturnType<typeof reportJson>, truth: TruthFile): void {
  expect(report.operatingPeriods.map((p) => [p.id, p.vehicles])).toEqual(truth.operatingPeriods.map((p) => [p.id, p.vehicles]));
  expect(Math.abs(report.overallAverageKm - truth.overallAverageKm!) / truth.overallAverageKm!).toBeLessThan(0.005);
}

describe('the commands from an empty folder', () => {
  let dir: string;
  let remove: () => Promise<void>;
  let truth: TruthFile;
  let warehouse: TestWarehouse | undefined;

  beforeAll(async () => {
    ({ dir, remove } = await tempDir('cli'));
  });
  afterAll(async () => {
    await warehouse?.drop();
    await remove?.();
  });

  it('gen, etl and report --json on the default SQLite warehouse', { timeout: 120_000 }, async () => {
    const gen = await runCli(['gen', '--out', 'lake', '--days', '3', '--vehicles', '4'], { cwd: dir });
    expect(gen.code, gen.stderr).toBe(0);
    expect(JSON.parse(gen.stdout)).toMatchObject({ days: ['2019-06-01', '2019-06-02', '2019-06-03'] });
    truth = JSON.parse(await readFile(join(dir, 'lake/truth.json'), 'utf8')) as TruthFile;

    const etl = await runCli(['etl', '--lake', 'lake'], { cwd: dir });
    expect(etl.code, etl.stderr).toBe(0);
    const summary = JSON.parse(etl.stdout.trim().split('\n').pop()!) as Record<string, unknown>;
    expect(summary).toMatchObject({ read: truth.counts.lines, rejected: truth.counts.broken, files: { loaded: truth.counts.files } });
    expect(etl.stderr).toContain('migration 3 (distance views) applied');

    const report = await runCli(['report', '--json'], { cwd: dir });
    expectTruth(reportJson(report), truth);
    expect(report.stderr).toContain(join(dir, 'sluice-out/vehicle-events-report/report.html'));
  });

  it.skipIf(!pg)('the same against PostgreSQL with --store postgres://…', { timeout: 120_000 }, async () => {
    warehouse = await openWarehouse('pg', 'cli');
    const etl = await runCli(['etl', '--lake', 'lake', ...warehouse.cliArgs], { cwd: dir });
    expect(etl.code, etl.stderr).toBe(0);
    const report = await runCli(['report', '--json', ...warehouse.cliArgs, '--out', 'pg-report'], { cwd: dir });
    expectTruth(reportJson(report), truth);
  });

  it('prints help, and one line with status 2 for a bad command line', { timeout: 60_000 }, async () => {
    const [help, unknown] = await Promise.all([runCli(['--help']), runCli(['etl', '--lake', 'x', '--bogus'])]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: pnpm vehicle-events <gen|etl|report>');
    expect(unknown.code, unknown.stderr).toBe(2);
    expect(unknown.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('refuses bad options with the option named', () => {
    const refused = (argv: string[]) => {
      try {
        parseCli(argv, {});
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        return (error as Error).message;
      }
      throw new Error(`accepted ${argv.join(' ')}`);
    };
    expect(refused(['etl'])).toContain('--lake');
    expect(refused(['etl', '--lake', 'x', '--date', '2019-02-30'])).toContain('"2019-02-30" is not a day');
    expect(refused(['etl', '--lake', 'x', '--date', '2019-06-01', '--from', '2019-06-01'])).toContain('not both');
    expect(refused(['etl', '--lake', 'x', '--from', '2019-06-03', '--to', '2019-06-01'])).toContain('after --to');
    expect(refused(['etl', '--lake', 'x', '--schedule', 'every day'])).toContain('--schedule "every day" is not a cron pattern');
    expect(refused(['report', '--lake', 'x'])).toContain('--lake is not an option of report');
    expect(refused(['report', '--schema', 'a-b'])).toContain('--schema');
    expect(refused(['gen', '--days', '3'])).toContain('--out');
    expect(parseCli(['etl', '--lake', 'x', '--date', '2019-06-02'], {})).toMatchObject({ days: { from: '2019-06-02', to: '2019-06-02' }, store: { kind: 'sqlite', filename: 'sluice-out/vehicle-events.db' }, schema: 'vehicle_events' });
  });
});

describe('etl --schedule', () => {
  it('waits, loads each new day once at the scheduled times, and stops on SIGTERM', { timeout: 90_000 }, async () => {
    const { dir, remove } = await tempDir('schedule');
    try {
      await generateLake(smallLake(join(dir, 'lake'), { days: 1, vehicles: 2 }));
      const child = spawnCli(['etl', '--lake', 'lake', '--schedule', '*/2 * * * * *'], dir);
      const output = collect(child);
      const closed = once(child, 'close') as Promise<[number | null]>;
      const summaries = async (count: number) => {
        const deadline = Date.now() + 40_000;
        for (;;) {
          const lines = output.stdout().split('\n').filter((l) => l.startsWith('{'));
          if (lines.length >= count) return lines.map((l) => JSON.parse(l) as { read: number; days: string[] });
          if (Date.now() > deadline || child.exitCode !== null) throw new Error(`no ${count} loads: ${output.stderr()}`);
          await new Promise((r) => setTimeout(r, 200));
        }
      };
      const [first] = await summaries(1);
      expect(first!.days).toEqual(['2019-06-01']);
      expect(output.stderr()).toMatch(/scheduled "\*\/2 \* \* \* \* \*": next load at /);
      // A new day lands in the lake; the next scheduled load takes it, and only it.
      await generateLake(smallLake(join(dir, 'next'), { days: 1, vehicles: 2, start: '2019-06-02' }));
      const { rename } = await import('node:fs/promises');
      await rename(join(dir, 'next/data/2019-06-02'), join(dir, 'lake/data/2019-06-02'));
      const all = await summaries(3);
      const loads = all.filter((s) => s.read > 0);
      expect(loads.map((s) => s.days)).toEqual([['2019-06-01'], ['2019-06-02']]);
      child.kill('SIGTERM');
      const [code] = await closed;
      expect(code, output.stderr()).toBe(0);
    } finally {
      await remove();
    }
  });
});
