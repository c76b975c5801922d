/**
 * `pnpm bench:trips [--sizes 1000000,10000000,100000000] [--baseline-rows N] [--kafka-rows N] [--runs N] [--floor]`:
 * the trips example at scale, into PostgreSQL. For each size: generate the file (kept for the next
 * run), measure the ceiling (`psql \copy` of the file into an unindexed table of text columns), run
 * `pnpm trips ingest` into a fresh database (rows/s, CPU s, peak RSS), the database size, and p50/p95
 * of the region query and of three boxes (a district, a city, a country). Once: the reference approach
 * (a Redis list as the queue, one INSERT per row) and, optionally, the Kafka path with 2 consumer
 * processes. With `--floor`, after each size: the model's floor, PostgreSQL's own CPU per row for the
 * stored trips (model-floor.ts). Results go to bench/results/trips-<date>.json and a Markdown table on stdout.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
// @ts-expect-error pg ships no types here (bench has no @types/pg); used untyped.
import pg from 'pg';
import { createClient } from 'redis';
import { redact } from '@sluice/runtime';
import { createPgStore } from '@sluice/store-pg';
import { migrateModel } from '../../examples/trips/src/model.js';
import { weeklyAverage, type Area } from '../../examples/trips/src/queries.js';
import { TRIPS_PG_SETTINGS } from '../../examples/trips/src/open.js';
import { scriptSettings } from '../lib/script-flags.js';
import { serverCpu } from '../lib/server-cpu.js';
import { BENCH_BOXES } from './boxes.js';
import { queryOnce } from '../lib/pg-once.js';
import { modelFloor } from './model-floor.js';
import { writeTrips } from '../../examples/trips/src/gen.js';
import type { TripSettings } from '../../examples/trips/src/trip.js';
import { startPrivatePostgres } from '../../test/support/private-postgres.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
/**
 * A server configured for loads of 10M+ rows on this machine (24 GiB, 2 cores): a third of the
 * memory as buffers (most of the partitions' indexes stay in them), checkpoints by time rather than every GB
 * of WAL (each checkpoint makes the next change of every page write the whole page again),
 * compressed full-page images, and the minimal WAL of a server without replicas (the bulk-load
 * setting of PostgreSQL's "Populating a Database").
 */
const TUNED = {
  shared_buffers: '8GB',
  max_wal_size: '8GB',
  checkpoint_timeout: '30min',
  checkpoint_completion_target: 0.9,
  wal_compression: 'lz4',
  wal_buffers: '64MB',
  maintenance_work_mem: '1GB',
  // No replica to stream to: a month built in the transaction that creates its table then writes no WAL.
  wal_level: 'minimal',
  max_wal_senders: 0,
};

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '1000000,10000000,100000000' },
    'baseline-rows': { type: 'string', default: '1000000' },
    'kafka-rows': { type: 'string', default: '0' },
    runs: { type: 'string', default: '40' },
    pg: { type: 'string', default: process.env.SLUICE_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres' },
    keep: { type: 'boolean', default: false },
    /** Only the queries, on the database a --keep run left (no copy, no ingestion). */
    'queries-only': { type: 'boolean', default: false },
    /** After each size's ingestion: the model's floor, PostgreSQL's own cost per row (model-floor.ts). */
    floor: { type: 'boolean', default: false },
    /** Run against a private server started for the run, configured for bulk loads (TUNED below). */
    'tuned-server': { type: 'boolean', default: false },
    /** Coarse levels of the area rollup the ingestion keeps (`pnpm trips ingest --area-levels`). */
    'area-levels': { type: 'string', default: '0' },
    /** H3 resolution of the stored cells (`pnpm trips ingest --area-resolution`; default: the grouping resolution). */
    'area-resolution': { type: 'string' },
    /** Transactions in flight in the direct ingestion (`pnpm trips ingest --writers`). */
    writers: { type: 'string', default: '2' },
    /** Bulk ingestion (`pnpm trips ingest --bulk`): staged, then moved in a month at a time. */
    bulk: { type: 'boolean', default: false },
    /** Box queries split a boundary cell above this many trips (the old fixed rule) instead of by estimated cost. */
    'split-above': { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  console.log(`pnpm bench:trips [--sizes 1000000,10000000,100000000] [--baseline-rows N] [--kafka-rows N] [--runs N] [--floor] [--tuned-server] [--area-levels N] [--area-resolution R] [--writers N] [--bulk] [--split-above N] [--keep] [--queries-only] [--pg URL]

The trips example at scale, into PostgreSQL (--pg, default SLUICE_PG_URL or postgres://postgres@127.0.0.1:5432/postgres).
For each size: the file (generated once into $TMPDIR/sluice-bench-trips), the psql \\copy ceiling, \`pnpm trips ingest\`
(rows/s, loader CPU s, PostgreSQL CPU s, peak RSS), the database size, p50/p95 of the region query and three boxes
(--runs each); with --floor, the model's floor (PostgreSQL's own CPU per row, no loader). Then the reference approach on
--baseline-rows rows and, with --kafka-rows N, the Kafka path with 2 consumers. --keep leaves the databases;
--queries-only measures the queries on a kept database. --tuned-server starts a private PostgreSQL for the run
(data in $TMPDIR, fsync on) with settings for bulk loads on this machine: ${Object.entries(TUNED).map(([k, v]) => `${k}=${v}`).join(', ')};
it is stopped and removed at the end, or with --keep stopped and kept in $TMPDIR/sluice-bench-trips/pg-tuned for a
later --queries-only --tuned-server run. --area-levels N ingests with N coarse levels of the area rollup (default 0), --area-resolution R with cells stored at resolution R (default 8); --writers N with N transactions in flight (default 2); --bulk with \`pnpm trips ingest --bulk\` (staged, then a month at a time; --writers does not apply);
--split-above N makes box queries split a boundary cell holding more than N trips instead of where estimated cheaper. Results: bench/results/trips-<date>.json. See bench/trips/README.md.`);
  process.exit(0);
}
// `--sizes 0` (or an empty list): no direct sizes, e.g. for a run of the Kafka path alone.
const sizes = values.sizes.split(',').map(Number).filter((rows) => rows > 0);
const runs = Number(values.runs);
const splitAbove = values['split-above'] === undefined ? undefined : Number(values['split-above']);
if (splitAbove !== undefined && !(splitAbove >= 0)) {
  console.error(`--split-above ${values['split-above']} is not a number of trips (0 or more)`);
  process.exit(2);
}
const dataDir = join(tmpdir(), 'sluice-bench-trips');
mkdirSync(dataDir, { recursive: true });
// With --keep or --queries-only the private server lives in a directory kept between runs.
const keptServer = values.keep || values['queries-only'] ? join(dataDir, 'pg-tuned') : undefined;
if (values['tuned-server'] && values['queries-only'] && !existsSync(join(keptServer!, 'data', 'PG_VERSION'))) {
  console.error(`--queries-only --tuned-server needs the server a --keep --tuned-server run left in ${keptServer}; run that first`);
  process.exit(2);
}
const tuned = values['tuned-server'] ? startPrivatePostgres(25500, { fsync: true, settings: TUNED, ...(keptServer ? { dir: keptServer } : {}) }) : undefined;
if (tuned) {
  process.on('exit', () => tuned.stop());
  // An interrupted run must not leave a server with 8 GB of buffers running, nor (without --keep)
  // its data under $TMPDIR: exiting runs the handler above. `on`, not `once`: a second signal (tsx and npm relay them) must
  // not kill the process while it removes the server.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => process.exit(130));
}
const adminUrl = tuned?.url ?? values.pg;

const dbUrl = (name: string) => adminUrl.replace(/\/[^/]*$/, `/${name}`);
const admin = async (sql: string) => void (await queryOnce(adminUrl, sql));

/** Runs a command under /usr/bin/time: wall s, CPU s (user + sys, children included) and peak RSS (MB). */
function timed(command: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ stdout: string; stderr: string; wall: number; cpu: number; rssMb: number }> {
  const out = join(dataDir, `time-${process.pid}.txt`);
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/time', ['-o', out, '-f', '%e %U %S %M', command, ...args], { cwd: root, env: { ...process.env, SLUICE_PROGRESS_INTERVAL_MS: '30000', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
      process.stderr.write(c);
    });
    child.on('close', (code) => {
      const [wall, user, sys, rss] = readFileSync(out, 'utf8').trim().split('\n').pop()!.split(' ').map(Number) as [number, number, number, number];
      if (code !== 0) reject(new Error(`${command} ${args.join(' ')} exited ${code}: ${stderr.slice(-2000)}`));
      else resolve({ stdout, stderr, wall, cpu: user + sys, rssMb: rss / 1024 });
    });
  });
}

const tsx = join(root, 'examples/trips/node_modules/.bin/tsx');
/** The heap flags of the `pnpm trips` script: the bench runs the commands as the script does. */
const { nodeFlags } = scriptSettings(root, 'trips');
const trips = (args: string[]) => timed(tsx, ['--conditions=source', ...nodeFlags, join(root, 'examples/trips/src/cli.ts'), ...args]);

async function fileOf(rows: number): Promise<string> {
  const path = join(dataDir, `trips-${rows}.csv`);
  if (!existsSync(path) || statSync(path).size < rows * 50) {
    console.error(`generating ${rows} rows into ${path}`);
    await writeTrips(path, { rows, seed: 42, weeks: 52 });
  }
  return path;
}

/** `psql \copy` of the file into an unindexed table of text columns: the ceiling. */
async function copyCeiling(file: string, db: string): Promise<number> {
  execFileSync('psql', [dbUrl(db), '-qc', 'DROP TABLE IF EXISTS copy_ceiling; CREATE UNLOGGED TABLE copy_ceiling (region text, origin_coord text, destination_coord text, datetime text, datasource text)']);
  const start = performance.now();
  execFileSync('psql', [dbUrl(db), '-qc', `\\copy copy_ceiling FROM '${file}' WITH (FORMAT csv, HEADER true)`]);
  const seconds = (performance.now() - start) / 1000;
  execFileSync('psql', [dbUrl(db), '-qc', 'DROP TABLE copy_ceiling']);
  return seconds;
}

const boxes: Record<string, Area> = { region: { region: 'Prague' }, ...Object.fromEntries(Object.entries(BENCH_BOXES).map(([name, bbox]) => [name, { bbox }])) };

/** The queries' p50/p95 on `db`, and the settings its store recorded (a --queries-only run's flags need not be them). */
async function latencies(db: string): Promise<{ storeSettings: TripSettings; queriesMs: Record<string, { p50: number; p95: number; trips: number }> }> {
  // As the example's commands open it (see TRIPS_PG_SETTINGS).
  const store = createPgStore({ connectionString: dbUrl(db), serverSettings: TRIPS_PG_SETTINGS });
  const settings = await migrateModel(store);
  const result: Record<string, { p50: number; p95: number; trips: number }> = {};
  try {
    for (const [name, area] of Object.entries(boxes)) {
      const times: number[] = [];
      let total = 0;
      for (let i = 0; i < runs + 3; i++) {
        const start = performance.now();
        total = (await weeklyAverage(store, settings, area, {}, splitAbove === undefined ? {} : { splitBoundaryAbove: splitAbove })).trips;
        if (i >= 3) times.push(performance.now() - start);
      }
      times.sort((a, b) => a - b);
      const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))]!;
      result[name] = { p50: round(at(0.5)), p95: round(at(0.95)), trips: total };
    }
  } finally {
    await store.close();
  }
  return { storeSettings: settings, queriesMs: result };
}

const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;

/** The reference: a Redis list as the queue, one INSERT per row (autocommit), on `rows` rows. */
async function reference(file: string, rows: number, db: string): Promise<{ rows: number; seconds: number; rowsPerS: number }> {
  const redis = createClient({ url: process.env.SLUICE_REDIS_URL ?? 'redis://127.0.0.1:6379' });
  await redis.connect();
  const key = `bench-trips-ref-${process.pid}`;
  const client = new pg.Client({ connectionString: dbUrl(db) });
  await client.connect();
  await client.query('DROP TABLE IF EXISTS ref_trips; CREATE TABLE ref_trips (region text, origin text, destination text, datetime timestamp, datasource text)');
  const lines = readFileSync(file, 'utf8').split('\n').slice(1, rows + 1);
  const start = performance.now();
  for (let i = 0; i < lines.length; i += 1000) await redis.rPush(key, lines.slice(i, i + 1000));
  for (;;) {
    const line = await redis.lPop(key);
    if (line === null) break;
    const [region, o, d, t, s] = line.split(/,(?=(?:[^"]*"[^"]*")*[^"]*$)/);
    await client.query('INSERT INTO ref_trips VALUES ($1, $2, $3, $4, $5)', [region, o, d, t, s]);
  }
  const seconds = (performance.now() - start) / 1000;
  await client.query('DROP TABLE ref_trips');
  await client.end();
  await redis.del(key);
  await redis.quit();
  return { rows: lines.length, seconds: round(seconds, 2), rowsPerS: Math.round(lines.length / seconds) };
}

const results: Record<string, unknown> = {
  date: new Date().toISOString(),
  machine: `${execFileSync('nproc').toString().trim()} cores`,
  server: tuned ? { private: true, settings: TUNED } : { url: redact(adminUrl) },
  areaLevels: Number(values['area-levels']),
  areaResolution: Number(values['area-resolution'] ?? 8),
  writers: values.bulk ? 'bulk' : Number(values.writers),
  boundarySplit: splitAbove === undefined ? 'estimated cost' : `above ${splitAbove} trips`,
  sizes: {},
};
const out = join(root, 'bench/results', `trips-${new Date().toISOString().slice(0, 10)}${values['queries-only'] ? `-queries-split-${splitAbove ?? 'cost'}` : ''}.json`);
const save = () => writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);

for (const rows of sizes) {
  const db = `bench_trips_${rows}`;
  if (values['queries-only']) {
    (results.sizes as Record<string, unknown>)[rows] = await latencies(db);
    save();
    console.error(JSON.stringify((results.sizes as Record<string, unknown>)[rows]));
    continue;
  }
  const file = await fileOf(rows);
  await admin(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
  await admin(`CREATE DATABASE ${db}`);
  const ceiling = await copyCeiling(file, db);
  console.error(`${rows}: psql \\copy ceiling ${ceiling.toFixed(1)} s`);
  const server = serverCpu(adminUrl, { database: db });
  const run = await trips(['ingest', file, '--store', dbUrl(db), '--json', '--batch', '10000', '--area-levels', values['area-levels'], ...(values['area-resolution'] ? ['--area-resolution', values['area-resolution']] : []), ...(values.bulk ? ['--bulk'] : ['--writers', values.writers])]);
  const serverCpuS = await server.stop();
  const counts = JSON.parse(run.stdout.trim().split('\n').pop()!) as Record<string, number>;
  const [{ size }] = (await queryOnce(dbUrl(db), 'SELECT pg_database_size(current_database()) AS size')) as [{ size: string }];
  // The load leaves up to shared_buffers of dirty pages (8 GB on the tuned server) for the
  // checkpointer to write while the queries run: written out first, so that the query figures are of
  // the queries. At 58.9M trips the city box's p95 was 220.6 ms right after the load, and 120–142 ms
  // after a restart of the server (whose shutdown writes them out).
  const checkpointStarted = performance.now();
  await admin('CHECKPOINT');
  const checkpointS = (performance.now() - checkpointStarted) / 1000;
  const { storeSettings, queriesMs: queries } = await latencies(db);
  // An ingestion stopped by SIGINT reads fewer rows than the file holds: rates are of what it read.
  const read = counts.read ?? rows;
  (results.sizes as Record<string, unknown>)[rows] = {
    counts,
    ...(read < rows ? { stoppedAt: read } : {}),
    ingest: {
      seconds: round(run.wall),
      rowsPerS: Math.round(read / run.wall),
      cpuS: round(run.cpu),
      peakRssMb: round(run.rssMb),
      ...(serverCpuS === undefined ? {} : { serverCpuS: round(serverCpuS), serverUsPerRow: round((serverCpuS / read) * 1e6) }),
    },
    // Of a stopped run: the ceiling's time for the share of the file it read.
    copyCeiling: { seconds: round(ceiling, 2), ratio: round((ceiling * (read / rows)) / run.wall, 3) },
    databaseMb: Math.round(Number(size) / 2 ** 20),
    checkpointS: round(checkpointS),
    storeSettings,
    queriesMs: queries,
    ...(values.floor ? { modelFloor: await modelFloor(dbUrl(db), dbUrl(`${db}_floor`), admin, `${db}_floor`) } : {}),
  };
  save();
  console.error(JSON.stringify((results.sizes as Record<string, unknown>)[rows]));
  if (!values.keep) await admin(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
}

const baselineRows = Number(values['baseline-rows']);
if (baselineRows > 0) {
  const db = 'bench_trips_reference';
  await admin(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
  await admin(`CREATE DATABASE ${db}`);
  results.reference = await reference(await fileOf(Math.max(baselineRows, 1_000_000)), baselineRows, db);
  await admin(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
  save();
  console.error(JSON.stringify(results.reference));
}

const kafkaRows = Number(values['kafka-rows']);
if (kafkaRows > 0) {
  const file = await fileOf(kafkaRows);
  const db = `bench_trips_kafka_${kafkaRows}`;
  await admin(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
  await admin(`CREATE DATABASE ${db}`);
  const run = await trips(['ingest', file, '--store', dbUrl(db), '--broker', process.env.SLUICE_KAFKA_URL ?? 'kafka://127.0.0.1:9092', '--consumers', '2', '--json', '--batch', '5000']);
  const counts = JSON.parse(run.stdout.trim().split('\n').pop()!) as Record<string, number>;
  const stored = Number((await queryOnce(dbUrl(db), 'SELECT count(*) AS n FROM trips'))[0]!.n);
  const consumers = [...run.stderr.matchAll(/trips-consumer-usage (\{.*\})/g)].map((m) => JSON.parse(m[1]!) as unknown);
  // The same file ingested directly in this run gives the number of distinct trips: a broker that
  // lost records shows there, not in the run's own counts (which call a missing trip a duplicate).
  const direct = ((results.sizes as Record<string, { counts?: { persisted: number } }>)[kafkaRows]?.counts?.persisted);
  const exact = stored === counts.persisted && counts.read === (counts.persisted ?? 0) + (counts.rejected ?? 0) + (counts.duplicates ?? 0) && (direct === undefined || stored === direct);
  results.kafka = { rows: kafkaRows, counts, stored, ...(direct !== undefined ? { storedDirectly: direct } : {}), exact, seconds: round(run.wall), rowsPerS: Math.round(kafkaRows / run.wall), parent: { cpuS: round(run.cpu), peakRssMb: round(run.rssMb) }, consumers };
  if (!values.keep) await admin(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
  save();
  console.error(JSON.stringify(results.kafka));
}
rmSync(join(dataDir, `time-${process.pid}.txt`), { force: true });
console.log(`results: ${out}`);
console.log(JSON.stringify(results, null, 2));
