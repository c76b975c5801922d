/** The command line of `pnpm vehicle-events`: usage text, parsing and checked option values. */
import { resolve } from 'node:path';
import { ConfigError, assertIdentifier } from '@sluice/core';
import { UsageError, defaultStoreUrl, integerOption, parseCommandLine, parseStoreUrl, storeUrlForms, type StoreTarget } from '@sluice/runtime';
import { Cron } from 'croner';
import { checkDay, type DayRange } from './lake.js';

/** The default SQLite file of the warehouse. */
export const DEFAULT_SQLITE_FILE = 'sluice-out/vehicle-events.db';
/** The default PostgreSQL schema of the warehouse. */
export const DEFAULT_SCHEMA = 'vehicle_events';

export const usage = `Usage: pnpm vehicle-events <gen|etl|report> [options]
  gen     write a lake of vehicle events and its ground truth (LAKE/truth.json)
          --out LAKE --days N [--vehicles V (20)] [--seed S (1)] [--start YYYY-MM-DD (2019-06-01)]
          [--organisations K (3)] [--files-per-day F (6)]
  etl     load the lake into the warehouse, exactly once per file, however often it runs
          --lake LAKE [--date D | --from D --to D] [--store URL] [--schema NAME] [--batch N (5000)]
          [--schedule CRON]   keep running and load each new day at the times of CRON
                              (5 fields, or 6 with seconds; e.g. "30 2 * * *": 02:30 every day)
  report  print the average distance per operating period and write report.html and report.json
          [--store URL] [--schema NAME] [--json] [--out DIR (sluice-out/vehicle-events-report)]

  --store sqlite|pg|URL   warehouse (default SLUICE_STORE, else sqlite:${DEFAULT_SQLITE_FILE})
                          URL: ${storeUrlForms.join(', ')}
  --schema NAME           PostgreSQL schema of the warehouse (default ${DEFAULT_SCHEMA})
  -h, --help              this text`;

export const commands = ['gen', 'etl', 'report'] as const;
export type Command = (typeof commands)[number];

export interface GenOptions {
  command: 'gen';
  out: string;
  days: number;
  vehicles: number;
  seed: number;
  start?: string;
  organisations?: number;
  filesPerDay?: number;
}

export interface StoreOptions {
  store: StoreTarget;
  schema: string;
}

export interface EtlCliOptions extends StoreOptions {
  command: 'etl';
  lake: string;
  days: DayRange;
  batchSize?: number;
  schedule?: string;
}

export interface ReportCliOptions extends StoreOptions {
  command: 'report';
  json: boolean;
  out: string;
}

export type CliOptions = GenOptions | EtlCliOptions | ReportCliOptions;

const options = {
  out: { type: 'string' },
  days: { type: 'string' },
  vehicles: { type: 'string' },
  seed: { type: 'string' },
  start: { type: 'string' },
  organisations: { type: 'string' },
  'files-per-day': { type: 'string' },
  lake: { type: 'string' },
  date: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  store: { type: 'string' },
  schema: { type: 'string' },
  batch: { type: 'string' },
  schedule: { type: 'string' },
  json: { type: 'boolean', default: false },
} as const;

/** Options that only some commands take. */
const only: Record<string, readonly Command[]> = {
  days: ['gen'],
  vehicles: ['gen'],
  seed: ['gen'],
  start: ['gen'],
  organisations: ['gen'],
  'files-per-day': ['gen'],
  lake: ['etl'],
  date: ['etl'],
  from: ['etl'],
  to: ['etl'],
  batch: ['etl'],
  schedule: ['etl'],
  store: ['etl', 'report'],
  schema: ['etl', 'report'],
  json: ['report'],
  out: ['gen', 'report'],
};

/** Checks a cron pattern with croner itself; throws a `ConfigError` with its complaint. */
export function checkCron(pattern: string): string {
  try {
    new Cron(pattern, { paused: true }).stop();
  } catch (error) {
    throw new ConfigError(`--schedule ${JSON.stringify(pattern)} is not a cron pattern: ${(error as Error).message}; e.g. "30 2 * * *" for 02:30 every day`, 'schedule');
  }
  return pattern;
}

function storeOptions(values: { store?: string; schema?: string }, env: NodeJS.ProcessEnv): StoreOptions {
  const schema = values.schema ?? DEFAULT_SCHEMA;
  try {
    assertIdentifier(schema);
  } catch {
    throw new ConfigError(`--schema ${JSON.stringify(schema)} is not a plain identifier (letters, digits, _)`, 'schema');
  }
  return { store: parseStoreUrl(values.store ?? defaultStoreUrl(DEFAULT_SQLITE_FILE, env), { env, defaultSqliteFile: DEFAULT_SQLITE_FILE }), schema };
}

function days(values: { date?: string; from?: string; to?: string }): DayRange {
  if (values.date !== undefined) {
    if (values.from !== undefined || values.to !== undefined) throw new UsageError('give --date, or --from and --to, not both', 'date');
    const day = checkDay(values.date, 'date');
    return { from: day, to: day };
  }
  const range: DayRange = {};
  if (values.from !== undefined) range.from = checkDay(values.from, 'from');
  if (values.to !== undefined) range.to = checkDay(values.to, 'to');
  if (range.from !== undefined && range.to !== undefined && range.from > range.to) throw new UsageError(`--from ${range.from} is after --to ${range.to}`, 'from');
  return range;
}

/** Parses `argv` (without node and script). Throws `HelpRequested`, `UsageError` or `ConfigError`. */
export function parseCli(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): CliOptions {
  const { values, positionals } = parseCommandLine(argv, { usage, options, positionals: { min: 1, max: 1, names: 'command' } });
  const command = positionals[0]!;
  if (!(commands as readonly string[]).includes(command)) throw new UsageError(`unknown command "${command}": use one of ${commands.join(', ')}`, 'command');
  for (const [name, allowed] of Object.entries(only)) {
    const given = (values as Record<string, unknown>)[name];
    if (given !== undefined && given !== false && !allowed.includes(command as Command)) throw new UsageError(`--${name} is not an option of ${command}`, name);
  }
  switch (command as Command) {
    case 'gen': {
      if (values.out === undefined) throw new UsageError('gen needs --out LAKE', 'out');
      const optional = <K extends string>(key: K, value: number | undefined) => (value === undefined ? {} : { [key]: value });
      return {
        command: 'gen',
        out: resolve(values.out),
        days: integerOption('days', values.days, { min: 1, max: 3660 }) ?? 3,
        vehicles: integerOption('vehicles', values.vehicles, { min: 1, max: 100_000 }) ?? 20,
        seed: integerOption('seed', values.seed, { min: 0 }) ?? 1,
        ...(values.start !== undefined ? { start: checkDay(values.start, 'start') } : {}),
        ...optional('organisations', integerOption('organisations', values.organisations, { min: 1, max: 1000 })),
        ...optional('filesPerDay', integerOption('files-per-day', values['files-per-day'], { min: 1, max: 1440 })),
      };
    }
    case 'etl': {
      if (values.lake === undefined) throw new UsageError('etl needs --lake LAKE', 'lake');
      const batchSize = integerOption('batch', values.batch, { min: 1, max: 100_000 });
      return {
        command: 'etl',
        lake: resolve(values.lake),
        days: days(values),
        ...storeOptions(values, env),
        ...(batchSize !== undefined ? { batchSize } : {}),
        ...(values.schedule !== undefined ? { schedule: checkCron(values.schedule) } : {}),
      };
    }
    case 'report':
      return { command: 'report', json: values.json, out: resolve(values.out ?? 'sluice-out/vehicle-events-report'), ...storeOptions(values, env) };
  }
}
