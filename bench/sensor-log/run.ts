/**
 * `pnpm bench:sensor-log [--minutes N] [--workers N] [--ceiling-minutes N] [--unit-files N] [--node-defaults] [--keep]`:
 * generated per-minute Parquet files into PostgreSQL with the sensor-log loader, against the
 * ceiling measured in the same run: `psql \copy` of the same rows, already normalised (ids
 * resolved, CSV), into a table of the same columns and keys, with declared foreign keys (checked
 * row by row) and without.
 *
 * Every stage runs as its own process under GNU time: wall, CPU (user + system) and peak RSS of
 * the largest process; and, sampled from /proc every 250 ms, the CPU the PostgreSQL backends
 * serving the stage's database used (the server runs on this machine), and the 1-minute load
 * average before and after. Default: a day (1,441 files, 2,758,074 rows); `--minutes 43201` is the
 * month. The ceiling copies the rows of the first `--ceiling-minutes` files (default: all, at most
 * a day: a month through row-by-row foreign keys would take an hour). Needs PostgreSQL
 * (SLUICE_PG_URL) and psql; `--workers N` also Redis (SLUICE_REDIS_URL).
 */
import { spawn } from 'node:child_process';
import { mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { connect } from 'node:net';
import { scriptSettings } from '../lib/script-flags.js';
import { serverCpu } from '../lib/server-cpu.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI = join(ROOT, 'examples/sensor-log/src/cli.ts');
const OUT = join(ROOT, 'sluice-out/bench/sensor-log'); // git-ignored: the generated files are large
const PG = process.env.SLUICE_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS = process.env.SLUICE_REDIS_URL ?? 'redis://127.0.0.1:6379';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '1441' },
    workers: { type: 'string' },
    'ceiling-minutes': { type: 'string' },
    'unit-files': { type: 'string' },
    'node-defaults': { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help === true) {
  console.log(`usage: pnpm bench:sensor-log [--minutes N] [--workers N] [--ceiling-minutes N] [--unit-files N] [--node-defaults] [--keep]

Generated per-minute Parquet files into PostgreSQL with the sensor-log loader, against the ceiling
measured in the same run: psql \\copy of the same rows, already normalised, into a table of the same
columns and keys, with declared foreign keys and without. Each stage runs as its own process under
GNU time (wall, CPU, peak RSS), with the PostgreSQL backends' CPU and the load average.
  --minutes N          files, one per minute: 1441 is a day (default), 43201 the month
  --workers N          load through Redis with N worker processes (default: one process, no broker)
  --ceiling-minutes N  files the ceiling copies (all, at most a day; 0: no ceiling)
  --unit-files N       files per transaction (the loader's default, 8)
  --node-defaults      run the loader without the heap flags of the pnpm sensor-log script
  --keep               keep the database (the files stay in sluice-out/bench/sensor-log/data-N, reused by the next run)
Needs PostgreSQL (SLUICE_PG_URL) and psql; --workers also Redis (SLUICE_REDIS_URL).`);
  process.exit(0);
}
const minutes = Number(values.minutes);
if (!Number.isInteger(minutes) || minutes < 1 || minutes > 43_201) throw new Error('--minutes takes an integer from 1 to 43201');
const workers = values.workers === undefined ? undefined : Number(values.workers);
const ceilingMinutes = Math.min(minutes, values['ceiling-minutes'] === undefined ? 1441 : Number(values['ceiling-minutes']));
if (!Number.isInteger(ceilingMinutes) || ceilingMinutes < 0) throw new Error('--ceiling-minutes takes an integer (0: no ceiling)');
const unitArgs = values['unit-files'] === undefined ? [] : ['--unit-files', values['unit-files']];

interface Measured {
  label: string;
  wallS: number;
  cpuS: number;
  peakRssMb: number;
  stdout: string;
  /** The load's own time, from its last stderr line (`…, 12.3 s`): wall minus process start-up. */
  inProcessS?: number;
  /** CPU seconds of the PostgreSQL backends serving the stage's database. */
  serverCpuS?: number;
  /** 1-minute load average before and after the stage. */
  load?: [number, number];
}

/**
 * Deletes the Redis streams of a topic (and its dead letters), as the Redis broker names them, with
 * one DEL over a plain connection (the bench does not load the test kit, which needs vitest).
 */
function deleteRedisTopic(url: string, topic: string): Promise<void> {
  const { hostname, port } = new URL(url);
  const keys = [`sluice:${topic}`, `sluice:${topic}.dead-letters`];
  const args = ['DEL', ...keys];
  const request = `*${args.length}\r\n${args.map((arg) => `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`).join('')}`;
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port || 6379) });
    const done = () => {
      socket.destroy();
      resolve();
    };
    socket.setTimeout(2000, () => {
      console.error(`could not delete the Redis streams ${keys.join(', ')}: no answer`);
      done();
    });
    socket.once('error', (error) => {
      console.error(`could not delete the Redis streams ${keys.join(', ')}: ${error.message}`);
      done();
    });
    socket.once('connect', () => socket.write(request));
    socket.once('data', done);
  });
}

/** Runs a command under GNU time (`-f "%e %U %S %M"`); with `database`, also the CPU of its server backends. */
async function measured(label: string, command: string, args: readonly string[], env: NodeJS.ProcessEnv = {}, database?: string): Promise<Measured> {
  const timing = join(OUT, `.time-${process.pid}`);
  let inProcessS: number | undefined;
  const loadBefore = loadavg()[0]!;
  const server = database === undefined ? undefined : serverCpu(PG, { database });
  const stdout = await new Promise<string>((resolve, reject) => {
    const child = spawn('/usr/bin/time', ['-o', timing, '-f', '%e %U %S %M', command, ...args], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: '1', SLUICE_PROGRESS_INTERVAL_MS: '30000', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => {
      process.stderr.write(chunk);
      const match = /, (\d+\.\d) s\n/.exec(chunk.toString());
      if (match) inProcessS = Number(match[1]);
    });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${label} exited with ${code}`))));
  });
  const serverCpuS = await server?.stop();
  const [wall, user, system, rssKb] = (await readFile(timing, 'utf8')).trim().split('\n').at(-1)!.split(' ').map(Number);
  await rm(timing, { force: true });
  const result: Measured = {
    label,
    wallS: wall!,
    cpuS: user! + system!,
    peakRssMb: rssKb! / 1024,
    stdout,
    ...(inProcessS !== undefined ? { inProcessS } : {}),
    ...(serverCpuS !== undefined ? { serverCpuS } : {}),
    load: [loadBefore, loadavg()[0]!],
  };
  console.error(
    `${label}: ${result.wallS.toFixed(1)} s wall${inProcessS !== undefined ? ` (${inProcessS} s in the load)` : ''}, ${result.cpuS.toFixed(1)} s CPU` +
      `${serverCpuS !== undefined ? ` + ${serverCpuS.toFixed(1)} s PostgreSQL backends` : ''}, ${result.peakRssMb.toFixed(0)} MB peak RSS, load ${loadBefore.toFixed(1)} → ${loadavg()[0]!.toFixed(1)}`,
  );
  return result;
}

/**
 * The V8 heap settings of the `pnpm sensor-log` script (root package.json), which its worker
 * processes get too: without them V8 lets the heap grow to ~4 times its live set and the peak RSS
 * depends on timing (280–380 MB measured on a day). `--node-defaults` measures without them.
 */
const HEAP_FLAGS = values['node-defaults'] ? [] : scriptSettings(ROOT, 'sensor-log').nodeFlags;
const node = (args: readonly string[]) => [...HEAP_FLAGS, '--import', 'tsx', '--conditions=source', CLI, ...args];
const psql = (url: string, sql: string) => measured(`psql: ${sql.slice(0, 60)}`, 'psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', url, '-c', sql]);

function databaseUrl(name: string): string {
  const url = new URL(PG);
  url.pathname = `/${name}`;
  return url.toString();
}

async function main(): Promise<void> {
  await mkdir(OUT, { recursive: true });
  const data = join(OUT, `data-${minutes}`);
  const last = new Date(Date.UTC(2023, 0, 1) + (minutes - 1) * 60_000).toISOString().slice(0, 16);
  const existing = await readdir(data).catch(() => [] as string[]);
  let gen: Measured | undefined;
  if (existing.filter((f) => f.endsWith('.parquet')).length !== minutes) {
    await rm(data, { recursive: true, force: true });
    gen = await measured('gen', process.execPath, node(['gen', '--out', data, '--to', last]));
  } else {
    console.error(`gen: reusing ${minutes} files in ${data}`);
  }
  let bytes = 0;
  for (const file of await readdir(data)) bytes += (await stat(join(data, file))).size;

  const database = `sensorlog_bench_${process.pid}`;
  const url = databaseUrl(database);
  await psql(PG, `CREATE DATABASE ${database}`);
  const results: Record<string, unknown> = { minutes, files: minutes, rows: minutes * 1914, inputMb: bytes / 1e6, at: new Date().toISOString(), nodeFlags: HEAP_FLAGS };
  try {
    const first = await measured('load (1 process)', process.execPath, node(['load', data, '--store', url, '--json', ...unitArgs]), {}, database);
    const again = await measured('load again (nothing new)', process.execPath, node(['load', data, '--store', url, '--json']), {}, database);
    const counts = await measured('count', 'psql', ['-X', '-At', url, '-c', 'SELECT COUNT(*) FROM datalog']);
    results.load = { ...strip(first), summary: JSON.parse(first.stdout.trim().split('\n').at(-1)!), rowsPerS: (minutes * 1914) / first.wallS, filesPerS: minutes / first.wallS };
    results.again = { ...strip(again), summary: JSON.parse(again.stdout.trim().split('\n').at(-1)!) };
    results.datalogRows = Number(counts.stdout.trim());
    const sizes = await measured('sizes', 'psql', ['-X', '-At', url, '-c', "SELECT pg_relation_size('datalog') || ' ' || pg_indexes_size('datalog')"]);
    const [heapBytes, indexBytes] = sizes.stdout.trim().split(' ').map(Number);
    results.datalogMb = { heap: Math.round(heapBytes! / 1e6), indexes: Math.round(indexBytes! / 1e6) };

    if (ceilingMinutes > 0) {
      // Ceiling: the same rows (of the first files), normalised, as CSV, \copy'd into the same columns and keys.
      const csv = join(OUT, `datalog-${minutes}.csv`);
      const rows = ceilingMinutes * 1914;
      await psql(
        url,
        `\\copy (SELECT d.file_id, d.file_row, d.create_at, d.sensor_id, d.product_id, d.product_expire FROM datalog d WHERE d.file_id IN (SELECT id FROM source_file ORDER BY name LIMIT ${ceilingMinutes})) TO '${csv}' CSV`,
      );
      const table = (name: string, fks: boolean) =>
        `CREATE TABLE ${name} (file_id bigint NOT NULL${fks ? ' REFERENCES source_file (id)' : ''}, file_row integer NOT NULL, create_at timestamptz NOT NULL, ` +
        `sensor_id bigint NOT NULL${fks ? ' REFERENCES sensor (id)' : ''}, product_id bigint NOT NULL${fks ? ' REFERENCES product (id)' : ''}, product_expire timestamptz NOT NULL, PRIMARY KEY (file_id, file_row))`;
      await psql(url, table('ceiling_fk', true));
      await psql(url, table('ceiling_nofk', false));
      const withFk = await psql(url, `\\copy ceiling_fk FROM '${csv}' CSV`);
      const withoutFk = await psql(url, `\\copy ceiling_nofk FROM '${csv}' CSV`);
      results.ceiling = {
        minutes: ceilingMinutes,
        rows,
        withForeignKeys: { ...strip(withFk), rowsPerS: rows / withFk.wallS },
        withoutForeignKeys: { ...strip(withoutFk), rowsPerS: rows / withoutFk.wallS },
      };
      await rm(csv, { force: true });
    }
  } finally {
    if (!values.keep) await psql(PG, `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  }

  if (workers !== undefined) {
    // In a database of its own, after the first one is dropped (a month is ~10 GB in PostgreSQL).
    const wdb = `${database}_w`;
    await psql(PG, `CREATE DATABASE ${wdb}`);
    try {
      const topic = `sensorlog_bench_${process.pid}`;
      const scaled = await measured(
        `load --workers ${workers}`,
        process.execPath,
        node(['load', data, '--store', databaseUrl(wdb), '--broker', REDIS, '--workers', String(workers), '--topic', topic, '--json', ...unitArgs]),
        {},
        wdb,
      );
      const counted = await measured('count', 'psql', ['-X', '-At', databaseUrl(wdb), '-c', 'SELECT COUNT(*) FROM datalog']);
      results.workers = {
        workers,
        ...strip(scaled),
        summary: JSON.parse(scaled.stdout.trim().split('\n').at(-1)!),
        datalogRows: Number(counted.stdout.trim()),
        rowsPerS: (minutes * 1914) / scaled.wallS,
      };
    } finally {
      await psql(PG, `DROP DATABASE IF EXISTS ${wdb} WITH (FORCE)`);
      await deleteRedisTopic(REDIS, `sensorlog_bench_${process.pid}`);
    }
  }
  if (gen) results.gen = strip(gen);
  const file = join(OUT, `result-${minutes}.json`);
  await writeFile(file, `${JSON.stringify(results, null, 2)}\n`);
  console.log(JSON.stringify(results, null, 2));
  console.error(`written ${file}`);
}

function strip(m: Measured): Omit<Measured, 'stdout' | 'label'> {
  return {
    wallS: m.wallS,
    ...(m.inProcessS !== undefined ? { inProcessS: m.inProcessS } : {}),
    cpuS: Number(m.cpuS.toFixed(2)),
    ...(m.serverCpuS !== undefined ? { serverCpuS: Number(m.serverCpuS.toFixed(2)) } : {}),
    peakRssMb: Number(m.peakRssMb.toFixed(0)),
    ...(m.load !== undefined ? { load: m.load.map((l) => Number(l.toFixed(2))) as [number, number] } : {}),
  };
}

await main();
