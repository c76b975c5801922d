/** The command line of `pnpm full-pipeline`: usage text, parsing and checked option values. */
import { accessSync, constants, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError } from '@sluice/core';
import {
  UsageError,
  brokerUrlForms,
  defaultBrokerUrl,
  defaultStoreUrl,
  integerOption,
  listenHost,
  numberOption,
  parseBrokerUrl,
  parseCommandLine,
  parseStoreUrl,
  storeUrlForms,
  tokenOption,
  type BrokerTarget,
  type StoreTarget,
} from '@sluice/runtime';
import { namesFor, type Kind, type Names } from './tables.js';

/** The usage text (`--help`). */
export const usage = `Usage: pnpm full-pipeline [run|serve|produce|consume|report|gen] [options]
  run (default)  the whole job: API (own process) → producer → broker → consumer → store → report (own process)
  serve          the streaming APIs (GET /metrics, /workorders) and, with a broker other than memory, the webhook
  produce        read the APIs (--api) or the files and publish to the broker
  consume        persist from the broker into the store
  report         run the analysis on the store and write report.html, report.json, report.md
  gen            write generated machine-data files into DIR/data

  --metrics FILE --workorders FILE   input files (JSON arrays); generated when absent (run)
  --out DIR                          report and embedded database directory (default ./sluice-out)
  --broker memory|redis|kafka|rabbitmq|URL
                                     (default SLUICE_BROKER, else memory; separate processes need a server)
                                     URL: ${brokerUrlForms.join(', ')}
  --store sqlite|pg|URL              (default SLUICE_STORE, else sqlite in DIR/sluice.db)
                                     URL: ${storeUrlForms.join(', ')}
  --prefix NAME                      prefix of topics, tables, consumer group and checkpoints,
                                     so several pipelines share one broker and store
  --speed N                          replay pacing of the APIs, N × real time (serve, run)
  --port N                           API port (serve: default 8080; 0 = any free port)
  --host ADDR                        serve: address to listen on (default 127.0.0.1); an address
                                     beyond loopback needs --token
  --api URL                          producer input: the streaming API (default: the files)
  --incremental                      producer: resume after the cursor kept in the store
  --token T                          serve: bearer token the webhook requires (an empty one is an
                                     error; without one the server listens on loopback only)
  --body-limit BYTES                 serve: largest webhook body once decoded (default 16 MiB)
  --group G --consumer C             consume: consumer group and member name
  --idle-stop-ms N                   consume: end once idle this long with nothing left
  -h, --help                         this text
  Environment: SLUICE_BROKER, SLUICE_STORE, SLUICE_REDIS_URL, SLUICE_KAFKA_BROKERS,
  SLUICE_RABBITMQ_URL, SLUICE_PG_URL, SLUICE_PROGRESS_INTERVAL_MS (progress lines when not on a terminal).`;

/** The commands. */
export const commands = ['run', 'serve', 'produce', 'consume', 'report', 'gen'] as const;
export type Command = (typeof commands)[number];

/** Parsed and checked command line. */
export interface CliOptions {
  command: Command;
  out: string;
  broker: BrokerTarget;
  store: StoreTarget;
  names: Names;
  /** Both input files, or undefined when neither was given. */
  files: Record<Kind, string> | undefined;
  speed?: number;
  port?: number;
  /** Address `serve` listens on: 127.0.0.1 unless given; beyond loopback only with a token. */
  host: string;
  api?: string;
  incremental: boolean;
  token?: string;
  bodyLimit?: number;
  group?: string;
  consumer?: string;
  idleStopMs?: number;
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

const options = {
  metrics: { type: 'string' },
  workorders: { type: 'string' },
  out: { type: 'string', default: 'sluice-out' },
  broker: { type: 'string' },
  store: { type: 'string' },
  prefix: { type: 'string', default: '' },
  speed: { type: 'string' },
  port: { type: 'string' },
  host: { type: 'string' },
  api: { type: 'string' },
  incremental: { type: 'boolean', default: false },
  token: { type: 'string' },
  'body-limit': { type: 'string' },
  group: { type: 'string' },
  consumer: { type: 'string' },
  'idle-stop-ms': { type: 'string' },
} as const;

/**
 * Parses `argv` (without node and script). Throws `HelpRequested` for `--help`, `UsageError` or
 * `ConfigError` on anything wrong.
 */
export function parseCli(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): CliOptions {
  const { values, positionals } = parseCommandLine(argv, { usage, options, positionals: { max: 1, names: 'command' } });
  const command = positionals[0] ?? 'run';
  if (!(commands as readonly string[]).includes(command)) throw new UsageError(`unknown command "${command}": use one of ${commands.join(', ')}`, 'command');
  const out = resolve(values.out);
  const token = tokenOption(values.token);
  const optional = <K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } => (value === undefined ? {} : ({ [key]: value } as { [P in K]?: V }));
  return {
    command: command as Command,
    out,
    broker: parseBrokerUrl(values.broker ?? defaultBrokerUrl(env), env),
    store: parseStoreUrl(values.store ?? defaultStoreUrl(join(out, 'sluice.db'), env), { env, defaultSqliteFile: join(out, 'sluice.db') }),
    names: namesFor(values.prefix),
    files: inputFiles(values.metrics, values.workorders),
    incremental: values.incremental,
    host: listenHost(values.host, token),
    ...optional('speed', numberOption('speed', values.speed, { exclusiveMin: 0 })),
    ...optional('port', integerOption('port', values.port, { min: 0, max: 65535 })),
    ...optional('api', values.api),
    ...optional('token', token),
    ...optional('bodyLimit', integerOption('body-limit', values['body-limit'], { min: 1 })),
    ...optional('group', values.group),
    ...optional('consumer', values.consumer),
    ...optional('idleStopMs', integerOption('idle-stop-ms', values['idle-stop-ms'], { min: 1 })),
  };
}
