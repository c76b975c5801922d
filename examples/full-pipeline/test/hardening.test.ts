/**
 * Issue 15, one test (or group) per row: the webhook and the streaming API under careless and
 * hostile clients. Each was red on the code before the hardening and is green after it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { SluiceError, createMemoryBroker, sleep, type Broker, type DeadLetter, type DeadLetterSink, type MemoryBroker } from '@sluice/core';
import type { FastifyInstance } from 'fastify';
import { Subject } from 'rxjs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseCli } from '../src/cli-options.js';
import { buildServer, type ServerOptions } from '../src/server/app.js';
import { namesFor } from '../src/tables.js';
import { drainTopic } from '../../../test/corpus/webhook-fixture.js';
import { runCli, startServe } from './support/cli.js';
import { tempDir } from './support/data.js';

const names = namesFor('harden');
const token = 'h4rd-token';
const T = 1_624_377_478;

/** A dead-letter sink that keeps what it is given (the memory path; the stores are tested elsewhere). */
function memorySink(): DeadLetterSink & { letters: DeadLetter[]; writes: number[] } {
  const letters: DeadLetter[] = [];
  const writes: number[] = [];
  return {
    name: 'memory',
    letters,
    writes,
    write: async (batch) => {
      writes.push(batch.length);
      letters.push(...batch);
    },
  };
}

interface Harness {
  app: FastifyInstance;
  url: string;
  broker: MemoryBroker;
  sink: ReturnType<typeof memorySink>;
  logged: string[];
}

let open: Harness[] = [];
afterEach(async () => {
  for (const h of open) {
    h.app.server.closeAllConnections(); // a test's stalled or never-reading clients must not hold the close
    await h.app.close();
    await h.broker.close();
  }
  open = [];
});

/** Starts a server with the webhook (memory broker, memory dead letters) and whatever else `extra` adds. */
async function start(extra: Partial<ServerOptions> & { publish?: Broker['publish'] } = {}): Promise<Harness> {
  const broker = createMemoryBroker();
  const sink = memorySink();
  const logged: string[] = [];
  const { publish, ...rest } = extra;
  const ingestBroker: Broker = publish ? Object.assign(Object.create(broker) as Broker, { publish }) : broker;
  const app = buildServer({
    ingest: { broker: ingestBroker, names, deadLetters: sink, token },
    log: (line: string) => logged.push(line),
    ...rest,
  } as ServerOptions);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const h = { app, url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`, broker, sink, logged };
  open.push(h);
  return h;
}

/** POSTs to `/ingest/<kind>`; headers are added to the token and a JSON content type. */
async function post(h: Harness, kind: string, body: string | Buffer, headers: Record<string, string> = {}) {
  const response = await fetch(`${h.url}/ingest/${kind}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
    body,
  });
  const text = await response.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    json = { text };
  }
  return { status: response.status, size: text.length, json };
}

const metric = (i: number) => ({ id: 1, val: i, time: T + i });

describe('row 1: a body of empty elements is answered briefly, its rejects capped', () => {
  it('[,,,…] is refused 422 naming the cap, with a short answer and a bounded number of dead letters written in chunks', async () => {
    const h = await start();
    const body = `[${JSON.stringify(metric(0))}${','.repeat(50_000)}]`;
    const { status, size, json } = await post(h, 'metrics', body);
    expect(status).toBe(422);
    expect(json.error).toMatch(/more than 1000 invalid records/);
    expect(size).toBeLessThan(64 * 1024); // was one error per element: megabytes
    expect((json.errors as unknown[]).length).toBeLessThanOrEqual(100);
    expect(json.unlistedErrors).toBeGreaterThan(0);
    expect(h.sink.letters.length).toBeLessThanOrEqual(1000);
    expect(Math.max(...h.sink.writes)).toBeLessThanOrEqual(100); // bounded chunks, never one transaction for the request
    // The valid record before the cap was handled, once.
    expect(await drainTopic(h.broker, names.metricsTopic)).toHaveLength(1);
  });

  it('a 202 answer lists at most the first 100 errors with a count of the rest', async () => {
    const h = await start();
    const records = Array.from({ length: 300 }, (_, i) => (i % 2 === 0 ? metric(i) : { id: 1, val: 'x', time: T }));
    const { status, json } = await post(h, 'metrics', JSON.stringify(records));
    expect(status).toBe(202);
    expect(json).toMatchObject({ accepted: 150, rejected: 150, unlistedErrors: 50 });
    expect((json.errors as { index: number }[]).map((e) => e.index)).toEqual(Array.from({ length: 100 }, (_, i) => 2 * i + 1));
    expect(h.sink.letters).toHaveLength(150);
  });
});

describe('row 2: deep nesting neither crashes nor loses a record', () => {
  it('[valid, [[[…100k levels…]]]]: the valid record is published, the deep one dead-lettered with its exact bytes', async () => {
    const h = await start();
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    const { status, json } = await post(h, 'metrics', `[${JSON.stringify(metric(1))},${deep}]`);
    expect(status, JSON.stringify(json).slice(0, 300)).toBe(202);
    expect(json).toMatchObject({ accepted: 1, rejected: 1, errors: [{ index: 1, reason: expect.stringMatching(/nested deeper than \d+ levels/) }] });
    expect(await drainTopic(h.broker, names.metricsTopic)).toHaveLength(1);
    expect(h.sink.letters[0]!.payload).toBe(deep);
  });

  it('a deeply nested object record keeps its exact text in the dead letter, as NDJSON and as an array element', async () => {
    const h = await start();
    const deep = `${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}`;
    for (const [type, body] of [
      ['application/x-ndjson', `${JSON.stringify(metric(2))}\n${deep}\n`],
      ['application/json', `[${JSON.stringify(metric(3))},${deep}]`],
    ] as const) {
      h.sink.letters.length = 0;
      const { status, json } = await post(h, 'metrics', body, { 'content-type': type });
      expect(status, type).toBe(202);
      expect(json).toMatchObject({ accepted: 1, rejected: 1 });
      expect(h.sink.letters).toHaveLength(1);
      expect(h.sink.letters[0]!.payload, type).toBe(deep);
    }
  });
});

describe('row 3: a request that stalls is timed out', () => {
  it('headers and one byte, then nothing: answered 408 and the connection closed', async () => {
    const h = await start({ timeouts: { bodyIdleMs: 300, requestMs: 2000, checkIntervalMs: 100 } } as Partial<ServerOptions>);
    const { port } = h.app.server.address() as AddressInfo;
    const socket = connect({ host: '127.0.0.1', port });
    let received = '';
    socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
    const closed = new Promise<boolean>((resolve) => {
      socket.once('close', () => resolve(true));
      setTimeout(() => resolve(false), 4000);
    });
    socket.write(`POST /ingest/metrics HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${token}\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n[`);
    expect(await closed).toBe(true);
    socket.destroy();
    expect(received).toMatch(/^HTTP\/1\.1 408/);
  });
});

describe('row 4: no silent open doors', () => {
  it("--token '' is a start-up error", () => {
    expect(() => parseCli(['serve', '--token', ''])).toThrow(/--token is empty/);
  });

  it('without a token the server binds loopback only; --host elsewhere needs a token', () => {
    expect(parseCli(['serve']).host).toBe('127.0.0.1');
    expect(() => parseCli(['serve', '--host', '0.0.0.0'])).toThrow(/--token/);
    expect(parseCli(['serve', '--host', '0.0.0.0', '--token', 'x']).host).toBe('0.0.0.0');
    expect(parseCli(['serve', '--host', '::1']).host).toBe('::1');
  });

  it("serve says it listens on loopback only without a token, and refuses --token '' with exit status 2", { timeout: 60_000 }, async () => {
    const { dir, remove } = await tempDir('serve');
    try {
      const files = [join(dir, 'm.json'), join(dir, 'w.json')];
      for (const file of files) await writeFile(file, '[]');
      const served = await startServe(['--metrics', files[0]!, '--workorders', files[1]!]);
      expect(served.url).toMatch(/^http:\/\/127\.0\.0\.1:/);
      const { stdout } = await served.stop();
      expect(stdout).toMatch(/no --token: listening on loopback \(127\.0\.0\.1\) only/);
      const refused = await runCli(['serve', '--metrics', files[0]!, '--workorders', files[1]!, '--token', '']);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(/--token is empty/);
    } finally {
      await remove();
    }
  });

  it("a browser's simple cross-origin POST (text/plain, form) is refused 415, a JSON or NDJSON type accepted", async () => {
    const h = await start();
    const body = JSON.stringify([metric(4)]);
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json; charset=latin1']) {
      const { status, json } = await post(h, 'metrics', body, { 'content-type': type });
      expect(status, type).toBe(415);
      expect(json.error, type).toMatch(/application\/json/);
    }
    const missing = await fetch(`${h.url}/ingest/metrics`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: Buffer.from(body) });
    expect(missing.status).toBe(415);
    for (const type of ['application/json; charset=utf-8', 'application/x-ndjson', 'application/ndjson', 'application/jsonl']) {
      expect((await post(h, 'metrics', body, { 'content-type': type })).status, type).toBe(202);
    }
    expect(h.broker.retained(names.metricsTopic)).toBe(4);
  });
});

describe('row 5: Content-Encoding', () => {
  const records = JSON.stringify([metric(5), metric(6)]);

  it('gzip, deflate and br bodies are decoded', async () => {
    const h = await start();
    for (const [encoding, bytes] of [
      ['gzip', gzipSync(records)],
      ['deflate', deflateSync(records)],
      ['br', brotliCompressSync(records)],
      ['GZIP', gzipSync(records)],
    ] as const) {
      const { status, json } = await post(h, 'metrics', bytes, { 'content-encoding': encoding });
      expect(status, encoding).toBe(202);
      expect(json, encoding).toMatchObject({ accepted: 2, rejected: 0 });
    }
  });

  it('the size limit applies to the decoded bytes (no zip bomb), other encodings 415', async () => {
    const h = await start({ bodyLimit: 64 * 1024 });
    const bomb = gzipSync(Buffer.alloc(50 * 1024 * 1024, 0x20)); // 50 MB of spaces in about 50 kB
    expect(bomb.length).toBeLessThan(64 * 1024);
    const refused = await post(h, 'metrics', bomb, { 'content-encoding': 'gzip' });
    expect(refused.status).toBe(413);
    expect(refused.json.error).toMatch(/65536 bytes.*decoded/);
    for (const encoding of ['compress', 'zstd', 'gzip, br', 'x-unknown']) {
      const { status, json } = await post(h, 'metrics', records, { 'content-encoding': encoding });
      expect(status, encoding).toBe(415);
      expect(json.error, encoding).toMatch(/gzip, deflate or br/);
    }
    const broken = await post(h, 'metrics', Buffer.from('not gzip at all'), { 'content-encoding': 'gzip' });
    expect(broken.status).toBe(400);
    expect(h.broker.retained(names.metricsTopic)).toBe(0);
  });
});

describe('row 6: the dead letter keeps the exact bytes', () => {
  it('invalid UTF-8 is kept as base64 of the exact bytes; 1e400 and 9007199254740993 as their exact text', async () => {
    const h = await start();
    const bad = Buffer.concat([Buffer.from('{"id":"caf'), Buffer.from([0xe9]), Buffer.from(`","val":1,"time":${T}}`)]);
    const nul = Buffer.from(`{"id":"a\u0000b","val":1,"time":${T}}`);
    const huge = `{"id":1,"val":1e400,"time":${T}}`;
    const big = `{"id":9007199254740993,"val":1,"time":${T}}`;
    const body = Buffer.concat([Buffer.from(`${JSON.stringify(metric(7))}\n`), bad, Buffer.from('\n'), nul, Buffer.from(`\n${huge}\n${big}\n`)]);
    const { status, json } = await post(h, 'metrics', body, { 'content-type': 'application/x-ndjson' });
    expect(status).toBe(202);
    expect(json).toMatchObject({ accepted: 1, rejected: 4 });
    const letters = h.sink.letters.sort((a, b) => a.position!.index! - b.position!.index!);
    expect(letters.map((l) => l.encoding ?? 'utf8')).toEqual(['base64', 'base64', 'utf8', 'utf8']);
    expect(Buffer.from(letters[0]!.payload, 'base64').equals(bad)).toBe(true);
    expect(Buffer.from(letters[1]!.payload, 'base64').equals(nul)).toBe(true);
    expect(letters[2]!.payload).toBe(huge);
    expect(letters[3]!.payload).toBe(big);
    // The same bytes inside a JSON array: the element's exact bytes.
    h.sink.letters.length = 0;
    const array = Buffer.concat([Buffer.from('[ '), bad, Buffer.from(` ,\n${huge}]`)]);
    expect((await post(h, 'metrics', array)).json).toMatchObject({ accepted: 0, rejected: 2 });
    expect(Buffer.from(h.sink.letters[0]!.payload, 'base64').equals(bad)).toBe(true);
    expect(h.sink.letters[1]!.payload).toBe(huge);
  });
});

describe('row 6, through a store: the encoding of a dead letter survives the round trip', () => {
  // The stores keep DeadLetter.encoding in the `encoding` column of sluice_dead_letters (the store
  // contract checks it for both); this is the webhook's letter through the embedded store.
  it('a base64 dead letter comes back from SQLite with its encoding and its exact bytes', async () => {
    const { createSqliteStore } = await import('@sluice/store-sqlite');
    const { storeDeadLetters } = await import('@sluice/core');
    const { dir, remove } = await tempDir('letters');
    const store = createSqliteStore({ filename: join(dir, 'letters.db') });
    try {
      await store.migrate([]);
      const h = await start({ ingest: { broker: createMemoryBroker(), names, deadLetters: storeDeadLetters(store), token } });
      const bad = Buffer.concat([Buffer.from('{"id":"x'), Buffer.from([0xc3, 0x28, 0x00]), Buffer.from(`","val":1,"time":${T}}`)]);
      expect((await post(h, 'metrics', bad, { 'content-type': 'application/x-ndjson' })).json).toMatchObject({ rejected: 1 });
      const [letter] = await store.readDeadLetters(`${names.prefix}/webhook:metrics`);
      expect(letter!.encoding).toBe('base64');
      expect(Buffer.from(letter!.payload, 'base64').equals(bad)).toBe(true);
    } finally {
      await store.close();
      await remove();
    }
  });
});

describe('row 7: streaming routes are capped and HEAD reads nothing', () => {
  let dir: string;
  let remove: () => Promise<void>;
  let files: { metrics: string; workorders: string };
  beforeAll(async () => {
    ({ dir, remove } = await tempDir('harden'));
    files = { metrics: join(dir, 'metrics.json'), workorders: join(dir, 'workorder.json') };
    const parts: string[] = [];
    for (let i = 0; i < 200_000; i++) parts.push(`{"id":${i % 20},"val":${i},"time":${T + i}}`);
    await writeFile(files.metrics, `[${parts.join(',\n')}]`);
    await writeFile(files.workorders, JSON.stringify([{ time: T, product: 0, production: 0 }]));
  });
  afterAll(async () => remove?.());

  it('clients past the cap of a streaming route get 503, and a freed slot is taken again', async () => {
    const h = await start({ stream: { files, maxClients: 2 } } as Partial<ServerOptions>);
    const held: { destroy(): void }[] = [];
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      const req = httpRequest(`${h.url}/metrics`);
      const status = await new Promise<number>((resolve) => {
        req.once('response', (res) => {
          res.pause(); // never reads
          resolve(res.statusCode ?? 0);
        });
        req.end();
      });
      statuses.push(status);
      held.push(req);
    }
    expect(statuses).toEqual([200, 200, 503]);
    held[0]!.destroy();
    await sleep(200);
    const again = await fetch(`${h.url}/workorders`);
    expect(again.status).toBe(200);
    await again.text();
    for (const req of held) req.destroy();
  });

  it.skipIf(!existsSync('/proc/self/io'))('HEAD /metrics answers the headers without reading the file', async () => {
    const h = await start({ stream: { files } } as Partial<ServerOptions>);
    const rchar = () => Number(/rchar: (\d+)/.exec(readFileSync('/proc/self/io', 'utf8'))![1]);
    const before = rchar();
    const response = await fetch(`${h.url}/metrics`, { method: 'HEAD' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/ndjson/);
    await sleep(300);
    expect(rchar() - before).toBeLessThan(1_000_000); // the file is about 7 MB
  });

  it('HEAD /status answers at once and a client that never reads /status is dropped by the server', async () => {
    const status$ = new Subject<{ type: string; pad: string }>();
    const h = await start({ status$: status$ as never });
    const head = await fetch(`${h.url}/status`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    const connections = () => new Promise<number>((resolve, reject) => h.app.server.getConnections((error, n) => (error ? reject(error) : resolve(n))));
    const req = httpRequest(`${h.url}/status`, { agent: false });
    const res = await new Promise<import('node:http').IncomingMessage>((resolve) => {
      req.once('response', resolve);
      req.end();
    });
    res.pause(); // never reads
    const before = await connections();
    // 30 MB of events: more than the loopback socket buffers hold, so the server's buffer grows.
    for (let i = 0; i < 3000; i++) status$.next({ type: 'read', pad: ' '.repeat(10_000) });
    let after = before;
    for (let waited = 0; waited < 5000 && after >= before; waited += 100) {
      await sleep(100);
      after = await connections();
    }
    expect(after, 'the server closed the connection of the client that does not read').toBeLessThan(before);
    req.destroy();
    status$.complete();
  });
});

describe('row 8: field limits', () => {
  it('an id longer than 256 characters and a time before 1970 are refused', async () => {
    const h = await start();
    const records = [{ id: 'x'.repeat(300), val: 1, time: T }, { id: 1, val: 1, time: -1 }, metric(8)];
    const { status, json } = await post(h, 'metrics', JSON.stringify(records));
    expect(status).toBe(202);
    expect(json).toMatchObject({
      accepted: 1,
      rejected: 2,
      errors: [
        { index: 0, reason: expect.stringMatching(/id: .*256 characters/) },
        { index: 1, reason: expect.stringMatching(/time: .*1970/) },
      ],
    });
  });
});

describe('row 9: 5xx answers carry a request id and a short message; the detail goes to the log', () => {
  it('an unexpected error: 500 with a request id, the internal text only in the log', async () => {
    const secret = 'connect ECONNREFUSED 10.1.2.3:5432 for user admin password hunter2';
    const h = await start({ publish: async () => Promise.reject(new TypeError(secret)) });
    const { status, json } = await post(h, 'metrics', JSON.stringify([metric(9)]));
    expect(status).toBe(500);
    expect(JSON.stringify(json)).not.toMatch(/hunter2|10\.1\.2\.3|ECONNREFUSED/);
    expect(json.requestId).toMatch(/^[\w-]{6,}$/);
    expect(h.logged.join('\n')).toContain(String(json.requestId));
    expect(h.logged.join('\n')).toContain('ECONNREFUSED');
  });

  it('a broker that stays unreachable: 503 with a short message and a request id', async () => {
    const h = await start({ publish: async () => Promise.reject(new SluiceError('Redis XADD failed: READONLY You can\'t write against a read only replica at 10.9.9.9', { retriable: true })) });
    const { status, json } = await post(h, 'metrics', JSON.stringify([metric(10)]));
    expect(status).toBe(503);
    expect(json.error).toMatch(/try again later/);
    expect(JSON.stringify(json)).not.toMatch(/READONLY|10\.9\.9\.9/);
    expect(json.requestId).toEqual(expect.any(String));
  }, 30_000);
});

describe('row 10: strict query parsing, the auth scheme, times', () => {
  it('?since=1e3, 0x10, %205 and a non-decimal Last-Event-ID are refused 400', async () => {
    const { dir, remove } = await tempDir('since');
    try {
      const files = { metrics: join(dir, 'm.json'), workorders: join(dir, 'w.json') };
      await writeFile(files.metrics, JSON.stringify([metric(0), metric(1)]));
      await writeFile(files.workorders, '[]');
      const h = await start({ stream: { files } } as Partial<ServerOptions>);
      for (const since of ['1e3', '0x10', '%205', '+1', '1.0', '99999999999999999999']) {
        const response = await fetch(`${h.url}/metrics?since=${since}`);
        expect(response.status, since).toBe(400);
        expect(((await response.json()) as { error: string }).error).toMatch(/since/);
      }
      const header = await fetch(`${h.url}/metrics`, { headers: { 'last-event-id': '0x1' } });
      expect(header.status).toBe(400);
      const ok = await fetch(`${h.url}/metrics?since=0`);
      expect(ok.status).toBe(200);
      expect((await ok.text()).trim().split('\n')).toHaveLength(1);
    } finally {
      await remove();
    }
  });

  it('the bearer scheme is case-insensitive', async () => {
    const h = await start();
    for (const scheme of ['bearer', 'BEARER', 'Bearer']) {
      const { status } = await post(h, 'metrics', JSON.stringify([metric(11)]), { authorization: `${scheme} ${token}` });
      expect(status, scheme).toBe(202);
    }
    expect((await post(h, 'metrics', '[]', { authorization: `Basic ${token}` })).status).toBe(401);
  });
});
