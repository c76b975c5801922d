/** Generated machine-data files of the sample's shape, with known planted relations. */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { choiceOption, integerOption, numberOption, parseCommandLine } from '@sluice/runtime';
import { writeMachineDataFiles, type MachineDataOptions, type MachineDataTimeFormat, type MachineDataTruth } from '@sluice/core';

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

/** The usage text of `sluice-gen machine-data` (`--help`). */
export const genUsage = `Usage: pnpm sluice-gen machine-data [options]
  Writes metrics.json, workorder.json and truth.json (the planted drivers) into --out.
  --out DIR                    where to write (default ./sluice-data)
  --parameters N               machine parameters (default 20)
  --products N                 products (default 2)
  --counters N                 parameters that are cumulative counters (default 4)
  --days N                     days of data (default 28)
  --metric-interval-s N        mean seconds between samples of a parameter (default 600)
  --workorder-interval-s N     mean seconds between work-order readings (default 3600)
  --delay-s N                  process delay of the planted drivers: output follows their level
                               N seconds later (default 0; truth.json gives each driver's delay)
  --correlation-s N            seconds over which a gauge's level stays correlated
                               (default: the work-order interval)
  --schedule concurrent|turns  products run at the same time (default), or take turns
  --ids number|string          parameter ids as numbers or strings
  --time-format iso|epoch-s|epoch-ms   how times are written (default iso)
  --seed N                     random seed (default 1; same seed, same files)
  -h, --help                   this text`;

const genOptions = {
  out: { type: 'string', default: 'sluice-data' },
  seed: { type: 'string' },
  parameters: { type: 'string' },
  products: { type: 'string' },
  counters: { type: 'string' },
  days: { type: 'string' },
  'metric-interval-s': { type: 'string' },
  'workorder-interval-s': { type: 'string' },
  'delay-s': { type: 'string' },
  'correlation-s': { type: 'string' },
  schedule: { type: 'string' },
  ids: { type: 'string' },
  'time-format': { type: 'string', default: 'iso' },
} as const;

/**
 * Options of `sluice-gen machine-data`, parsed from the command line (after the kind). Throws
 * `HelpRequested` for `--help` and `UsageError` naming a bad option.
 */
export function parseGenArgs(argv: readonly string[]): { out: string; options: MachineDataOptions; timeFormat: MachineDataTimeFormat } {
  const { values } = parseCommandLine(argv, { usage: genUsage, options: genOptions });
  const whole = (name: keyof typeof genOptions, min: number) => integerOption(name, values[name], { min });
  const positive = (name: keyof typeof genOptions) => numberOption(name, values[name], { exclusiveMin: 0 });
  const options: MachineDataOptions = {};
  const set = <K extends keyof MachineDataOptions>(key: K, value: MachineDataOptions[K] | undefined) => {
    if (value !== undefined) options[key] = value;
  };
  set('seed', whole('seed', 0));
  set('parameters', whole('parameters', 1));
  set('products', whole('products', 1));
  set('counters', whole('counters', 0));
  const days = positive('days');
  set('durationMs', days === undefined ? undefined : days * 86_400_000);
  const mi = positive('metric-interval-s');
  set('metricIntervalMs', mi === undefined ? undefined : mi * 1000);
  const wi = positive('workorder-interval-s');
  set('workorderIntervalMs', wi === undefined ? undefined : wi * 1000);
  const delay = whole('delay-s', 0);
  set('delayMs', delay === undefined ? undefined : delay * 1000);
  const ci = positive('correlation-s');
  set('correlationMs', ci === undefined ? undefined : ci * 1000);
  set('schedule', choiceOption('schedule', values.schedule, ['concurrent', 'turns'] as const));
  set('ids', choiceOption('ids', values.ids, ['number', 'string'] as const));
  return { out: values.out, options, timeFormat: choiceOption('time-format', values['time-format'], ['iso', 'epoch-s', 'epoch-ms'] as const) ?? 'iso' };
}
