/** Generated machine-data files of the sample's shape, with known planted relations. */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, writeMachineDataFiles, type MachineDataOptions, type MachineDataTimeFormat, type MachineDataTruth } from '@sluice/core';

/** The generated files, where the planted truth was written, and what they hold. */
export interface GeneratedFiles {
  metrics: string;
  workorders: string;
  truth: string;
  /** Records written per file. */
  records: { metrics: number; workorders: number };
  /** The planted drivers per product (also in `truth.json`). */
  planted: MachineDataTruth;
}

/** Writes `metrics.json`, `workorder.json` and `truth.json` (the planted drivers) into `dir`. */
export async function generateFiles(dir: string, options: MachineDataOptions = {}, timeFormat: MachineDataTimeFormat = 'iso'): Promise<GeneratedFiles> {
  await mkdir(dir, { recursive: true });
  const paths = { metrics: join(dir, 'metrics.json'), workorders: join(dir, 'workorder.json'), truth: join(dir, 'truth.json') };
  const written = await writeMachineDataFiles(options, paths, { timeFormat });
  await writeFile(paths.truth, `${JSON.stringify(written.truth, null, 2)}\n`);
  return { ...paths, records: { metrics: written.metrics, workorders: written.workorders }, planted: written.truth };
}

/** Options of `sluice-gen machine-data`, parsed from the command line. */
export function parseGenArgs(argv: readonly string[]): { out: string; options: MachineDataOptions; timeFormat: MachineDataTimeFormat } {
  const { values } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      out: { type: 'string', default: 'sluice-data' },
      seed: { type: 'string' },
      parameters: { type: 'string' },
      products: { type: 'string' },
      counters: { type: 'string' },
      days: { type: 'string' },
      'metric-interval-s': { type: 'string' },
      'workorder-interval-s': { type: 'string' },
      schedule: { type: 'string' },
      ids: { type: 'string' },
      'time-format': { type: 'string', default: 'iso' },
    },
  });
  const num = (name: keyof typeof values): number | undefined => {
    const text = values[name] as string | undefined;
    if (text === undefined) return undefined;
    const n = Number(text);
    if (!Number.isFinite(n) || n < 0) throw new ConfigError(`--${name} must be a non-negative number, got "${text}"`, name);
    return n;
  };
  const pick = <T extends string>(name: keyof typeof values, allowed: readonly T[]): T | undefined => {
    const text = values[name] as string | undefined;
    if (text === undefined) return undefined;
    if (!(allowed as readonly string[]).includes(text)) throw new ConfigError(`--${name} must be one of ${allowed.join(', ')}, got "${text}"`, name);
    return text as T;
  };
  const options: MachineDataOptions = {};
  const set = <K extends keyof MachineDataOptions>(key: K, value: MachineDataOptions[K] | undefined) => {
    if (value !== undefined) options[key] = value;
  };
  set('seed', num('seed'));
  set('parameters', num('parameters'));
  set('products', num('products'));
  set('counters', num('counters'));
  const days = num('days');
  set('durationMs', days === undefined ? undefined : days * 86_400_000);
  const mi = num('metric-interval-s');
  set('metricIntervalMs', mi === undefined ? undefined : mi * 1000);
  const wi = num('workorder-interval-s');
  set('workorderIntervalMs', wi === undefined ? undefined : wi * 1000);
  set('schedule', pick('schedule', ['concurrent', 'turns'] as const));
  set('ids', pick('ids', ['number', 'string'] as const));
  return { out: values.out!, options, timeFormat: pick('time-format', ['iso', 'epoch-s', 'epoch-ms'] as const) ?? 'iso' };
}
