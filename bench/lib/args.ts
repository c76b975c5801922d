/** Command-line options of `pnpm bench`, checked, with their defaults. */
import { parseArgs } from 'node:util';

/** The settings of one benchmark run. */
export interface BenchSettings {
  /** Rows of generated data every path lands (default 1,000,000). */
  rows: number;
  /** Paths to run (default: all, in their fixed order). */
  only: string[] | undefined;
  /** Rounds over every path; per ceiling, the round where it was fastest is reported, with its paths (default 1). */
  repeat: number;
  /** Rows per batch of the direct PostgreSQL paths and their ceiling (default 10,000). */
  pgBatch: number;
  /** Rows per batch (transaction) of the SQLite paths (default 4,096). */
  sqliteBatch: number;
  /** Rows per publish / read of the broker paths and their ceilings (default 1,000, as the issue sets). */
  brokerBatch: number;
  /** Rows per publish / delivery of the Sluice broker paths (default: `brokerBatch`); a public option. */
  sluiceBrokerBatch: number;
  /** Rows of the one-row-INSERT baseline (default 50,000; it is slow). */
  baselineRows: number;
  /** Partitions of the Kafka topics (default 3, the Kafka adapter's default). */
  partitions: number;
  /** Sluice `maxBuffered` (default: the pipelines' own, 3 × batch). */
  maxBuffered: number | undefined;
  /** Sluice `maxInFlight` of consumers (default: the pipelines' own, 2). */
  maxInFlight: number | undefined;
  /** Sluice PostgreSQL store `poolSize` (default 2). */
  poolSize: number | undefined;
  /** Write V8 CPU profiles of every worker to bench/results/profiles/<date>/. */
  profile: boolean;
  /** Results file (default bench/results/<date>.json, or <date>-partial.json with --only). */
  out: string | undefined;
  /** Update the results table in BENCHMARKS.md (default: yes for full runs, no with --only). */
  markdown: boolean;
}

const USAGE = `usage: pnpm bench [--rows N] [--only name,name] [--repeat R] [--pg-batch N] [--sqlite-batch N]
  [--broker-batch N] [--sluice-broker-batch N] [--baseline-rows N] [--partitions N] [--max-buffered N] [--max-in-flight N]
  [--pool-size N] [--profile] [--out FILE] [--markdown | --no-markdown]`;

const HELP = `${USAGE}

Every Sluice path (direct PostgreSQL append and merge, in-memory broker into SQLite, Redis, Kafka and
RabbitMQ into PostgreSQL) and the ceiling each is compared with, on the same generated rows in the
same run; each path must land exactly --rows rows. Needs PostgreSQL, Redis, RabbitMQ and Kafka
(pnpm services:up).
  --rows N                 rows every path lands (1,000,000)
  --only a,b               only these paths (all, in their fixed order)
  --repeat R               rounds over every path; the fastest round of each ceiling is reported (1)
  --pg-batch N             rows per batch of the direct PostgreSQL paths and their ceiling (10,000)
  --sqlite-batch N         rows per transaction of the SQLite paths (4,096)
  --broker-batch N         rows per publish / read of the broker paths and their ceilings (1,000)
  --sluice-broker-batch N  rows per publish / delivery of the Sluice broker paths (--broker-batch)
  --baseline-rows N        rows of the one-row-INSERT baseline (50,000)
  --partitions N           partitions of the Kafka topics (3)
  --max-buffered N, --max-in-flight N, --pool-size N   Sluice pipeline and store settings (their defaults)
  --profile                V8 CPU profiles of every worker into bench/results/profiles/<date>/
  --out FILE               results file (bench/results/<date>.json; <date>-partial.json with --only)
  --markdown, --no-markdown  update the results table of BENCHMARKS.md (full runs: yes; --only: no)`;

function whole(text: string | undefined, option: string, fallback: number): number;
function whole(text: string | undefined, option: string, fallback: undefined): number | undefined;
function whole(text: string | undefined, option: string, fallback: number | undefined): number | undefined {
  if (text === undefined) return fallback;
  const value = Number(text.replace(/_/g, ''));
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`--${option} must be a whole number of at least 1, got "${text}".\n${USAGE}`);
  return value;
}

/** Parses `argv`; throws an error with the usage on anything it does not know. */
export function parseBenchArgs(argv: readonly string[], knownPaths: readonly string[]): BenchSettings {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      rows: { type: 'string' },
      only: { type: 'string' },
      repeat: { type: 'string' },
      'pg-batch': { type: 'string' },
      'sqlite-batch': { type: 'string' },
      'broker-batch': { type: 'string' },
      'sluice-broker-batch': { type: 'string' },
      'baseline-rows': { type: 'string' },
      partitions: { type: 'string' },
      'max-buffered': { type: 'string' },
      'max-in-flight': { type: 'string' },
      'pool-size': { type: 'string' },
      profile: { type: 'boolean', default: false },
      out: { type: 'string' },
      markdown: { type: 'boolean' },
      'no-markdown': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) {
    console.log(HELP);
    process.exit(0);
  }
  const only = values.only?.split(',').map((name) => name.trim()).filter(Boolean);
  const unknown = only?.filter((name) => !knownPaths.includes(name)) ?? [];
  if (unknown.length > 0) throw new Error(`--only names unknown paths: ${unknown.join(', ')}. Known: ${knownPaths.join(', ')}.`);
  const brokerBatch = whole(values['broker-batch'], 'broker-batch', 1000);
  return {
    rows: whole(values.rows, 'rows', 1_000_000),
    only,
    repeat: whole(values.repeat, 'repeat', 1),
    pgBatch: whole(values['pg-batch'], 'pg-batch', 10_000),
    sqliteBatch: whole(values['sqlite-batch'], 'sqlite-batch', 4096),
    brokerBatch,
    sluiceBrokerBatch: whole(values['sluice-broker-batch'], 'sluice-broker-batch', brokerBatch),
    baselineRows: whole(values['baseline-rows'], 'baseline-rows', 50_000),
    partitions: whole(values.partitions, 'partitions', 3),
    maxBuffered: whole(values['max-buffered'], 'max-buffered', undefined),
    maxInFlight: whole(values['max-in-flight'], 'max-in-flight', undefined),
    poolSize: whole(values['pool-size'], 'pool-size', undefined),
    profile: values.profile === true,
    out: values.out,
    markdown: values['no-markdown'] === true ? false : (values.markdown ?? only === undefined),
  };
}
