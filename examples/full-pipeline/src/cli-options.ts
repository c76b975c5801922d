/** The command line of `pnpm full-pipeline`: usage text, parsing and checked option values. */
import { accessSync, constants, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError } from '@sluice/core';
import { namesFor, type Kind, type Names } from './tables.js';
import { brokerKinds, storeKinds, type BrokerKind, type StoreKind } from './wiring.js';

/** The usage text (`--help`). */
export const usage = `Usage: pnpm full-pipeline [run|serve|produce|consume|report|gen] [options]
  run (default)  everything in one process: API → producer → broker → consumer → store → report
  serve          the streaming APIs (GET /metrics, /workorders) and, with --broker redis|kafka, the webhook
  produce        read the APIs (--api) or the files and publish to the broker
  consume        persist from the broker into the store
  report         run the analysis on the store and write report.html, report.json, report.md
  gen            write generated machine-data files into DIR/data

  --metrics FILE --workorders FILE   input files (JSON arrays); generated when absent (run)
  --out DIR                          report and embedded database directory (default ./sluice-out)
  --broker memory|redis|kafka        (default memory; separate processes need redis or kafka)
  --store sqlite|pg                  (default sqlite, in DIR/sluice.db)
  --prefix NAME                      prefix of topics, tables, consumer group and checkpoints,
                                     so several pipelines share one broker and store
  --speed N                          replay pacing of the APIs, N × real time (serve, run)
  --port N                           API port (serve: default 8080; 0 = any free port)
  --api URL                          producer input: the streaming API (default: the files)
  --incremental                      producer: resume after the cursor kept in the store
  --token T                          serve: bearer token the webhook requires
  --body-limit BYTES                 serve: largest webhook body (default 16 MiB)
  --group G --consumer C             consume: consumer group and member name
  --idle-stop-ms N                   consume: end once idle this long with nothing left
  Environment: SLUICE_REDIS_URL, SLUICE_KAFKA_BROKERS, SLUICE_PG_URL.`;

/** Parsed and checked command line. */
export interface CliOptions {
  command: string;
  help: boolean;
  out: string;
  broker: BrokerKind;
  store: StoreKind;
  names: Names;
  /** Both input files, or undefined when neither was given. */
  files: Record<Kind, string> | undefined;
  speed?: number;
  port?: number;
  api?: string;
  incremental: boolean;
  token?: string;
  bodyLimit?: number;
  group?: string;
  consumer?: string;
  idleStopMs?: number;
}

function choice<T extends string>(name: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) throw new ConfigError(`--${name} must be one of ${allowed.join(', ')}, got "${value}"`, name);
  return value as T;
}

function numberOf(name: string, text: string | undefined, allowZero = false): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n < 0 || (n === 0 && !allowZero)) {
    throw new ConfigError(`--${name} must be a ${allowZero ? 'non-negative' : 'positive'} number, got "${text}"`, name);
  }
  return n;
}

/** The input file of `--name`, resolved; throws a `ConfigError` when it cannot be read. */
function readableFile(name: string, path: string): string {
  const full = resolve(path);
  let problem: string | undefined;
  try {
    accessSync(full, constants.R_OK);
    if (!statSync(full).isFile()) problem = 'it is not a file';
  } catch (error) {
    problem = (error as NodeJS.ErrnoException).code ?? String(error);
  }
  if (problem) throw new ConfigError(`cannot read --${name} ${full}: ${problem}; give the path of a JSON array file`, name);
  return full;
}

function inputFiles(metrics: string | undefined, workorders: string | undefined): Record<Kind, string> | undefined {
  if (!metrics && !workorders) return undefined;
  if (!metrics || !workorders) throw new ConfigError('give both --metrics and --workorders, or neither (to use generated data)', 'metrics');
  return { metrics: readableFile('metrics', metrics), workorders: readableFile('workorders', workorders) };
}

/** Parses `argv` (without node and script); throws `ConfigError` on anything wrong. */
export function parseCli(argv: readonly string[]): CliOptions {
  try {
    return checkCli(parseArgv(argv));
  } catch (error) {
    // node:util parseArgs throws TypeErrors with ERR_PARSE_ARGS_* codes for unknown or malformed options.
    if ((error as { code?: unknown }).code?.toString().startsWith('ERR_PARSE_ARGS')) {
      throw new ConfigError(`${(error as Error).message}\n${usage}`, 'argv');
    }
    throw error;
  }
}

function parseArgv(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      metrics: { type: 'string' },
      workorders: { type: 'string' },
      out: { type: 'string', default: 'sluice-out' },
      broker: { type: 'string', default: 'memory' },
      store: { type: 'string', default: 'sqlite' },
      prefix: { type: 'string', default: '' },
      speed: { type: 'string' },
      port: { type: 'string' },
      api: { type: 'string' },
      incremental: { type: 'boolean', default: false },
      token: { type: 'string' },
      'body-limit': { type: 'string' },
      group: { type: 'string' },
      consumer: { type: 'string' },
      'idle-stop-ms': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
}

function checkCli({ values, positionals }: ReturnType<typeof parseArgv>): CliOptions {
  const optional = <K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } => (value === undefined ? {} : ({ [key]: value } as { [P in K]?: V }));
  return {
    command: positionals[0] ?? 'run',
    help: values.help,
    out: resolve(values.out),
    broker: choice('broker', values.broker, brokerKinds),
    store: choice('store', values.store, storeKinds),
    names: namesFor(values.prefix),
    files: values.help ? undefined : inputFiles(values.metrics, values.workorders),
    incremental: values.incremental,
    ...optional('speed', numberOf('speed', values.speed)),
    ...optional('port', numberOf('port', values.port, true)),
    ...optional('api', values.api),
    ...optional('token', values.token),
    ...optional('bodyLimit', numberOf('body-limit', values['body-limit'])),
    ...optional('group', values.group),
    ...optional('consumer', values.consumer),
    ...optional('idleStopMs', numberOf('idle-stop-ms', values['idle-stop-ms'])),
  };
}
