/**
 * Issue 15's load test, bounded and on loopback only: 1,000 mixed good and hostile requests
 * against `serve --broker redis` (a child process, as a user runs it) while `/health` is probed
 * and the server's RSS sampled. The server must stay under 300 MB, answer `/health` within 100 ms
 * throughout, and every valid record must be on the broker exactly once.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Subscription } from 'rxjs';
import { randomName, requireService, serviceUrls } from '@sluice/core/testkit';
import { openBroker } from '@sluice/runtime';
import { afterAll, describe, expect, it } from 'vitest';
import { namesFor } from '../src/tables.js';
import { startServe, type Served } from './support/cli.js';
import { cleanRedis } from './support/cleanup.js';
import { tempDir } from './support/data.js';

const reachable = await requireService('Redis', serviceUrls.redis);
const token = 'load-token';
const T = 1_624_377_478;
const REQUESTS = 1000;
const CONCURRENCY = 8;

/** Resident memory of a process and of its descendants' largest (tsx runs the program in a child node). */
function serverRss(pid: number): number {
  let largest = 0;
  const visit = (id: number) => {
    try {
      const status = readFileSync(`/proc/${id}/status`, 'utf8');
      largest = Math.max(largest, Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024);
      for (const child of readFileSync(`/proc/${id}/task/${id}/children`, 'utf8').trim().split(/\s+/).filter(Boolean)) visit(Number(child));
    } catch {
      // The process ended.
    }
  };
  visit(pid);
  return largest;
}

/**
 * Probes `GET /health` every 50 ms from a separate process (so the load this test generates does
 * not delay the probes' own event loop) until `until` (ms, or a function saying when); resolves
 * with the slowest answer in ms and the number of probes.
 */
async function probeHealth(url: string, until: number | (() => boolean)): Promise<{ slowest: number; probes: number }> {
  const script = `
    const http = require('node:http');
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    let slowest = 0, probes = 0, stop = false;
    process.stdin.on('data', () => (stop = true)); process.stdin.on('end', () => (stop = true));
    const once = () => new Promise((resolve, reject) => {
      const started = performance.now();
      http.get(process.argv[1] + '/health', { agent }, (res) => { res.resume(); res.on('end', () => resolve(performance.now() - started)); }).on('error', reject);
    });
    (async () => {
      await once(); // the connection is opened before the clock counts
      while (!stop) { slowest = Math.max(slowest, await once()); probes++; await new Promise((r) => setTimeout(r, 50)); }
      process.stdout.write(JSON.stringify({ slowest, probes }));
      agent.destroy();
    })();`;
  const child = spawn(process.execPath, ['-e', script, url], { stdio: ['pipe', 'pipe', 'inherit'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  if (typeof until === 'number') await new Promise((resolve) => setTimeout(resolve, until));
  else while (!until()) await new Promise((resolve) => setTimeout(resolve, 50));
  child.stdin.end('stop\n');
  await once(child, 'close');
  return JSON.parse(output) as { slowest: number; probes: number };
}

interface Planned {
  label: string;
  run: (url: string) => Promise<number>;
  /** The statuses it may get. */
  expect: number[];
}

describe.skipIf(!reachable || !existsSync('/proc/self/status'))('load: 1,000 mixed good and hostile requests on loopback', () => {
  const names = namesFor(randomName('fpload'));
  let served: Served | undefined;
  let remove: (() => Promise<void>) | undefined;

  afterAll(async () => {
    await served?.stop();
    await cleanRedis(names);
    await remove?.();
  });

  it('stays under 300 MB, keeps /health under 100 ms, and publishes every valid record exactly once', { timeout: 90_000 }, async () => {
    const made = await tempDir('load');
    remove = made.remove;
    const files = { metrics: join(made.dir, 'metrics.json'), workorders: join(made.dir, 'workorder.json') };
    await writeFile(files.metrics, JSON.stringify(Array.from({ length: 2000 }, (_, i) => ({ id: i % 7, val: i, time: T + i }))));
    await writeFile(files.workorders, JSON.stringify([{ time: T, product: 0, production: 0 }]));
    served = await startServe(['--metrics', files.metrics, '--workorders', files.workorders, '--broker', 'redis', '--store', `sqlite:${join(made.dir, 'load.db')}`, '--prefix', names.prefix, '--token', token]);
    const url = served.url;
    const pid = served.child.pid!;

    // Bodies are built before the clock starts, so the test's own work does not delay the probes.
    const expectedKeys: string[] = [];
    const metric = (id: string, k: number) => {
      expectedKeys.push(`metric:${JSON.stringify(id)}:${(T + k) * 1000}`);
      return { id, val: k, time: T + k };
    };
    const auth = { authorization: `Bearer ${token}` };
    const post = (body: string | Buffer, headers: Record<string, string>) => async (base: string) => {
      const response = await fetch(`${base}/ingest/metrics`, { method: 'POST', headers, body });
      await response.arrayBuffer();
      return response.status;
    };
    const get = (path: string, method = 'GET') => async (base: string) => {
      const response = await fetch(`${base}${path}`, { method, headers: auth });
      await response.arrayBuffer();
      return response.status;
    };
    const commas = `[${','.repeat(20_000)}]`;
    const deepTail = `${'['.repeat(20_000)}${']'.repeat(20_000)}`;
    const bomb = gzipSync(Buffer.alloc(40 * 1024 * 1024, 0x20));
    const plan: Planned[] = [];
    for (let i = 0; i < REQUESTS; i++) {
      const id = `L${i}`;
      const kind = i % 10;
      if (kind <= 4) {
        const records = Array.from({ length: 10 }, (_, k) => metric(id, k));
        if (i % 3 === 0) plan.push({ label: 'gzip array', run: post(gzipSync(JSON.stringify(records)), { ...auth, 'content-type': 'application/json', 'content-encoding': 'gzip' }), expect: [202] });
        else if (i % 3 === 1) plan.push({ label: 'ndjson', run: post(records.map((r) => JSON.stringify(r)).join('\n'), { ...auth, 'content-type': 'application/x-ndjson' }), expect: [202] });
        else plan.push({ label: 'array', run: post(JSON.stringify(records), { ...auth, 'content-type': 'application/json' }), expect: [202] });
      } else if (kind === 5) {
        const lines = [...Array.from({ length: 5 }, (_, k) => JSON.stringify(metric(id, k))), ...Array.from({ length: 5 }, () => JSON.stringify({ id, val: 'x', time: T }))];
        const body = Buffer.concat([Buffer.from(lines.join('\n')), Buffer.from('\n{"id":"\xff'), Buffer.from([0xfe]), Buffer.from('","val":1,"time":1}\n')]);
        plan.push({ label: 'mixed ndjson', run: post(body, { ...auth, 'content-type': 'application/x-ndjson' }), expect: [202] });
      } else if (kind === 6) {
        plan.push({ label: 'empty elements', run: post(commas, { ...auth, 'content-type': 'application/json' }), expect: [422] });
      } else if (kind === 7) {
        plan.push({ label: 'deep', run: post(`[${JSON.stringify(metric(id, 0))},${deepTail}]`, { ...auth, 'content-type': 'application/json' }), expect: [202] });
      } else if (kind === 8) {
        const hostile: Planned[] = [
          { label: 'text/plain', run: post('[]', { ...auth, 'content-type': 'text/plain' }), expect: [415] },
          { label: 'no token', run: post(JSON.stringify([{ id, val: 1, time: T }]), { 'content-type': 'application/json' }), expect: [401] },
          { label: 'compress', run: post('[]', { ...auth, 'content-type': 'application/json', 'content-encoding': 'compress' }), expect: [415] },
          { label: 'gzip bomb', run: post(bomb, { ...auth, 'content-type': 'application/json', 'content-encoding': 'gzip' }), expect: [413] },
        ];
        plan.push(hostile[Math.floor(i / 10) % hostile.length]!);
      } else {
        const reads: (() => Planned)[] = [
          () => ({ label: 'since=1e3', run: get('/metrics?since=1e3'), expect: [400] }),
          () => ({ label: 'HEAD /metrics', run: get('/metrics', 'HEAD'), expect: [200] }),
          () => ({ label: 'GET /metrics', run: get('/metrics?since=1500'), expect: [200] }),
          () => ({ label: 'lower-case bearer', run: post(JSON.stringify([metric(id, 0)]), { authorization: `bearer ${token}`, 'content-type': 'application/json' }), expect: [202] }),
        ];
        plan.push(reads[Math.floor(i / 10) % reads.length]!());
      }
    }

    // Ten clients that send headers and one byte, then nothing, for the whole run.
    const { port, hostname } = new URL(url);
    const stalled: Socket[] = Array.from({ length: 10 }, () => {
      const socket = connect({ host: hostname, port: Number(port) });
      socket.on('error', () => undefined);
      socket.write(`POST /ingest/metrics HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${token}\r\ncontent-type: application/json\r\ncontent-length: 100000\r\n\r\n[`);
      return socket;
    });

    const idleRss = serverRss(pid);
    let peakRss = idleRss;
    let slowestHealth: number;
    let probes: number;
    let running = true;
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, serverRss(pid))), 100);
    const baseline = await probeHealth(url, 2000);
    const prober = probeHealth(url, () => !running);

    const wrong: string[] = [];
    const startedAt = Date.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < plan.length) {
          const item = plan[next++]!;
          const status = await item.run(url).catch(() => -1); // -1: the connection failed
          if (!item.expect.includes(status)) wrong.push(`${item.label}: ${status}`);
        }
      }),
    );
    const elapsedMs = Date.now() - startedAt;
    running = false;
    ({ slowest: slowestHealth, probes } = await prober);
    clearInterval(sampler);
    for (const socket of stalled) socket.destroy();

    // Count on the broker: a fresh group reads the topic from its beginning.
    const broker = await openBroker('redis');
    const seen = new Map<string, number>();
    try {
      await new Promise<void>((resolve, reject) => {
        let idle: NodeJS.Timeout | undefined;
        const subscription: Subscription = broker.consume<unknown>(names.metricsTopic, { group: randomName('count'), fromBeginning: true }).subscribe({
          next: (delivery) => {
            for (const envelope of delivery.envelopes) seen.set(envelope.key, (seen.get(envelope.key) ?? 0) + 1);
            void delivery.ack();
            clearTimeout(idle);
            idle = setTimeout(() => {
              subscription.unsubscribe();
              resolve();
            }, 1500);
          },
          error: reject,
        });
        idle = setTimeout(() => {
          subscription.unsubscribe();
          resolve();
        }, 5000);
      });
    } finally {
      await broker.close();
    }

    const expected = new Set(expectedKeys);
    const missing = [...expected].filter((key) => !seen.has(key));
    const twice = [...seen].filter(([, n]) => n > 1).map(([key]) => key);
    const extra = [...seen.keys()].filter((key) => !expected.has(key));
    console.log(
      `load: ${REQUESTS} requests in ${elapsedMs} ms at concurrency ${CONCURRENCY}; server RSS ${(idleRss / 2 ** 20).toFixed(0)} MB idle, ${(peakRss / 2 ** 20).toFixed(0)} MB at peak; ` +
        `slowest /health ${slowestHealth.toFixed(1)} ms over ${probes} probes (${baseline.slowest.toFixed(1)} ms before the load); ${expected.size} valid records, ${seen.size} keys on the broker`,
    );
    expect(wrong.slice(0, 10), `${wrong.length} unexpected answers`).toEqual([]);
    expect(expectedKeys.length).toBe(expected.size); // each valid record is sent once
    expect(missing.length, `missing ${missing.slice(0, 3).join(', ')}`).toBe(0);
    expect(twice, 'published more than once').toEqual([]);
    expect(extra, 'on the broker but never valid').toEqual([]);
    expect(peakRss).toBeLessThan(300 * 2 ** 20);
    expect(probes).toBeGreaterThan(10);
    expect(slowestHealth).toBeLessThan(100);
  });
});
