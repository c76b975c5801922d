/**
 * Benchmark of the streaming JSON-array source: reads a ~1 GB array of metrics records
 * `{"id":…,"val":…,"time":"…"}` through `jsonArraySource` and prints rows, seconds, rows/s, MB/s and
 * the peak resident set size, with PASS/FAIL for peak RSS under 250 MB (and for reading every row).
 *
 *   cd /work/main/bench && npx tsx --conditions=source json-source.ts [--size-mb 1024]
 *
 * The file is written once to the OS temp directory (streamed, in bounded memory) and reused while
 * its size matches. When it had to be written, the read runs in a fresh child process so that the
 * peak RSS is the reader's alone. MB here means 2^20 bytes.
 */
import { spawnSync } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { readFile, rename, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { jsonArraySource } from '@sluice/core';

const MB = 1024 * 1024;
const RSS_LIMIT_MB = 250;

/** What is known about a generated file, kept beside it to decide whether it can be reused. */
interface FileFacts {
  sizeMb: number;
  bytes: number;
  rows: number;
}

const { values: args } = parseArgs({
  options: { 'size-mb': { type: 'string', default: '1024' }, 'read-only': { type: 'boolean', default: false } },
});
const sizeMb = Number(args['size-mb']);
if (!Number.isInteger(sizeMb) || sizeMb < 1) {
  console.error(`--size-mb must be a whole number of megabytes (at least 1), got "${args['size-mb']}".`);
  process.exit(2);
}
const path = join(tmpdir(), `sluice-bench-metrics-${sizeMb}mb.json`);
const factsPath = `${path}.facts.json`;

/** Record `n`: a metric sample of one of 40 machine parameters, every 250 ms from 2024-01-01. */
function record(n: number): string {
  const time = new Date(Date.UTC(2024, 0, 1) + n * 250).toISOString();
  const val = Math.round(Math.sin(n * 0.37) * 1_000_000 + n) / 1000;
  return `{"id":${(n % 40) + 1},"val":${val},"time":"${time}"}`;
}

/** The facts of the file at `path` if it is a complete earlier write of this size. */
async function reusableFacts(): Promise<FileFacts | undefined> {
  try {
    const facts = JSON.parse(await readFile(factsPath, 'utf8')) as FileFacts;
    const { size } = await stat(path);
    return facts.sizeMb === sizeMb && facts.bytes === size ? facts : undefined;
  } catch {
    return undefined;
  }
}

/** Streams a JSON array of at least `sizeMb` MB to `path` (via a temp name), one chunk at a time. */
async function generate(): Promise<FileFacts> {
  const target = sizeMb * MB;
  const partial = `${path}.partial`;
  const out = createWriteStream(partial);
  let bytes = 0;
  let rows = 0;
  let pending = '[\n';
  while (bytes + pending.length < target) {
    pending += `${rows === 0 ? '' : ',\n'}${record(rows)}`;
    rows++;
    if (pending.length >= MB) {
      bytes += pending.length; // ASCII only: characters are bytes
      if (!out.write(pending)) await once(out, 'drain');
      pending = '';
    }
  }
  pending += '\n]\n';
  bytes += pending.length;
  out.end(pending);
  await once(out, 'finish');
  await rename(partial, path);
  const facts = { sizeMb, bytes, rows };
  await writeFile(factsPath, JSON.stringify(facts));
  return facts;
}

/** Reads the whole file through `jsonArraySource`, prints the figures; resolves with whether all passed. */
async function measure(facts: FileFacts): Promise<boolean> {
  const source = jsonArraySource<{ id: number; val: number; time: string }>({ path, name: 'bench-metrics' });
  const cpuStart = process.cpuUsage();
  const started = process.hrtime.bigint();
  let rows = 0;
  let rejects = 0;
  let firstReject = '';
  await new Promise<void>((resolve, reject) => {
    source.read().subscribe({
      next: (item) => {
        if (item.kind === 'record') rows++;
        else if (rejects++ === 0) firstReject = `${item.reason} at ${JSON.stringify(item.position)}`;
      },
      error: reject,
      complete: resolve,
    });
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage(cpuStart);
  const peakRssMb = process.resourceUsage().maxRSS / 1024;
  const rowsOk = rows === facts.rows && rejects === 0;
  const rssOk = peakRssMb < RSS_LIMIT_MB;
  const fmt = (value: number, digits = 0) => value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
  console.log(`rows      ${fmt(rows)} of ${fmt(facts.rows)}, ${rejects} rejects   ${rowsOk ? 'PASS' : 'FAIL'}${firstReject && ` (first: ${firstReject})`}`);
  console.log(`seconds   ${fmt(seconds, 2)} wall, ${fmt((cpu.user + cpu.system) / 1e6, 2)} CPU (all threads)`);
  console.log(`rows/s    ${fmt(rows / seconds)}`);
  console.log(`MB/s      ${fmt(facts.bytes / MB / seconds, 1)}`);
  console.log(`peak RSS  ${fmt(peakRssMb, 1)} MB   ${rssOk ? 'PASS' : 'FAIL'} (limit ${RSS_LIMIT_MB} MB)`);
  return rowsOk && rssOk;
}

async function main(): Promise<void> {
  let facts = await reusableFacts();
  if (args['read-only']) {
    if (!facts) throw new Error(`${path} is missing or incomplete; run without --read-only to write it.`);
    process.exitCode = (await measure(facts)) ? 0 : 1;
    return;
  }
  if (facts) {
    console.log(`file      ${path} (${(facts.bytes / MB).toFixed(1)} MB, reused)`);
    process.exitCode = (await measure(facts)) ? 0 : 1;
    return;
  }
  const started = Date.now();
  facts = await generate();
  console.log(`file      ${path} (${(facts.bytes / MB).toFixed(1)} MB, written in ${((Date.now() - started) / 1000).toFixed(1)} s)`);
  // Measure in a fresh process, so that the writer's memory does not count in the reader's peak RSS.
  const child = spawnSync(
    process.execPath,
    [...process.execArgv, fileURLToPath(import.meta.url), '--size-mb', String(sizeMb), '--read-only'],
    { stdio: 'inherit' },
  );
  process.exitCode = child.status ?? 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
