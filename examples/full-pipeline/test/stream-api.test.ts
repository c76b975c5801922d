/**
 * The streaming APIs: NDJSON and SSE, exact resumption with `?since=` and `Last-Event-ID`, replay
 * pacing, bounded memory with a client that does not read, and malformed file records that travel
 * as `$reject` and end as dead letters.
 */
import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { get, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createMemoryBroker, sleep } from '@sluice/core';
import { createSqliteStore } from '@sluice/store-sqlite';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { produce } from '../src/produce.js';
import { buildServer } from '../src/server/app.js';
import { defaultNames, machineTables } from '../src/tables.js';
import { getNdjson, getSse, tempDir } from './support/data.js';

const START = 1_624_377_478; // epoch seconds, like the sample files
const COUNT = 101;
/** Samples 36 s apart: the file spans exactly one hour of event time. */
const samples = Array.from({ length: COUNT }, (_, i) => ({ id: i % 7, val: 100 + i, time: START + 36 * i }));
/** The elements as they stand in the file: index 1 is not JSON, index 4 has a wrong type. */
const elements: string[] = samples.map((s) => JSON.stringify(s));
elements[1] = '{"id": 1, "val": oops}';
elements[4] = JSON.stringify({ id: 4, val: 'high', time: START + 144 });

async function listen(app: FastifyInstance): Promise<string> {
  await app.listen({ host: '127.0.0.1', port: 0 });
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
}

describe('streaming API', () => {
  let dir: string;
  let remove: () => Promise<void>;
  let files: { metrics: string; workorders: string };
  let app: FastifyInstance;
  let api: string;

  beforeAll(async () => {
    ({ dir, remove } = await tempDir('stream'));
    files = { metrics: join(dir, 'metrics.json'), workorders: join(dir, 'workorder.json') };
    await writeFile(files.metrics, `[${elements.join(',\n')}]`);
    await writeFile(files.workorders, JSON.stringify([{ time: START, product: 0, production: 0 }, { time: START + 3600, product: 0, production: 12.5 }]));
    app = buildServer({ stream: { files } });
    api = await listen(app);
  });

  afterAll(async () => {
    await app?.close();
    await remove?.();
  });

  it('streams the file as NDJSON, one line per element, malformed elements as $reject', async () => {
    const { status, type, lines } = await getNdjson(`${api}/metrics`);
    expect(status).toBe(200);
    expect(type).toMatch(/^application\/x-ndjson/);
    expect(lines).toHaveLength(COUNT);
    expect(lines[0]).toEqual(samples[0]);
    expect(lines[1]).toEqual({ $reject: { reason: expect.stringMatching(/not valid JSON/), raw: '{"id": 1, "val": oops}' } });
    expect(lines[4]).toEqual({ id: 4, val: 'high', time: START + 144 }); // the server passes records on; the producer validates
    expect(lines.slice(5)).toEqual(samples.slice(5));
  });

  it('streams Server-Sent Events when asked for text/event-stream, with the record index as id', async () => {
    const { type, events } = await getSse(`${api}/metrics`);
    expect(type).toMatch(/^text\/event-stream/);
    expect(events.map((e) => e.id)).toEqual(samples.map((_, i) => String(i)));
    expect(events[1]).toMatchObject({ event: 'reject', data: { reason: expect.stringMatching(/not valid JSON/), raw: '{"id": 1, "val": oops}' } });
    expect(events.filter((e) => e.event === undefined).map((e) => e.data)).toEqual((await getNdjson(`${api}/metrics`)).lines.filter((_, i) => i !== 1));
  });

  it('resumes exactly after ?since=<cursor> and after Last-Event-ID', async () => {
    const full = (await getNdjson(`${api}/metrics`)).lines;
    for (const since of [-1, 0, 1, 3, 57, COUNT - 2, COUNT - 1, COUNT + 5]) {
      expect((await getNdjson(`${api}/metrics?since=${since}`)).lines, `since=${since}`).toEqual(full.slice(since + 1));
      const { events } = await getSse(`${api}/metrics`, { 'last-event-id': String(since) });
      expect(events.map((e) => Number(e.id)), `Last-Event-ID ${since}`).toEqual(full.slice(since + 1).map((_, i) => since + 1 + i));
    }
    // An EventSource reconnects to the same URL with Last-Event-ID: the header wins over the query.
    const { events } = await getSse(`${api}/metrics?since=3`, { 'last-event-id': '10' });
    expect(events[0]?.id).toBe('11');
  });

  it('answers 400 to a cursor that is not a record index', async () => {
    for (const bad of ['abc', '-2', '1.5']) {
      const response = await fetch(`${api}/workorders?since=${bad}`);
      expect(response.status).toBe(400);
      expect(((await response.json()) as { error: string }).error).toMatch(/since must be a record index/);
    }
  });

  it('paces a replay by event time with --speed: an hour of data at 3600× takes about a second', async () => {
    const paced = buildServer({ stream: { files, speed: 3600 } });
    const url = await listen(paced);
    try {
      const started = Date.now();
      const response = await fetch(`${url}/metrics`);
      const reader = response.body!.getReader();
      const arrivals: { at: number; time: number }[] = [];
      let carry = '';
      for (;;) {
        const chunk = await reader.read();
        if (chunk.done) break;
        const text = carry + Buffer.from(chunk.value).toString();
        const lines = text.split('\n');
        carry = lines.pop()!;
        for (const line of lines) {
          const value = JSON.parse(line) as { time?: number };
          if (typeof value.time === 'number') arrivals.push({ at: Date.now() - started, time: value.time });
        }
      }
      expect(arrivals).toHaveLength(COUNT - 1);
      // Event order is kept and the replay spreads over wall-clock time (loosely: at least half the due time).
      expect(arrivals.map((a) => a.time)).toEqual([...arrivals.map((a) => a.time)].sort((a, b) => a - b));
      const last = arrivals[arrivals.length - 1]!;
      const middle = arrivals[Math.floor(arrivals.length / 2)]!;
      expect(last.at).toBeGreaterThanOrEqual(500);
      expect(middle.at).toBeGreaterThanOrEqual(((middle.time - START) / 3600) * 1000 * 0.5);
      expect(middle.at).toBeLessThan(last.at);
    } finally {
      await paced.close();
    }
  });

  it('sends malformed file records to the producer as rejects, which end as dead letters with their reasons', async () => {
    const store = createSqliteStore({ filename: join(dir, 'rejects.db') });
    const broker = createMemoryBroker();
    try {
      await store.migrate(machineTables(defaultNames));
      const summary = await produce({ broker, store, names: defaultNames, input: { api } }).done;
      expect(summary).toMatchObject({ read: COUNT + 2, published: COUNT - 2 + 2, rejected: 2 });
      const letters = await store.readDeadLetters('api:metrics');
      expect(letters.map((l) => [l.position?.index, l.reason])).toEqual([
        [1, expect.stringMatching(/not valid JSON/)],
        [4, expect.stringMatching(/^invalid record: val: .*expected number/)],
      ]);
      expect(letters[0]!.payload).toBe('{"id": 1, "val": oops}');
      expect(JSON.parse(letters[1]!.payload)).toEqual({ id: 4, val: 'high', time: START + 144 });
    } finally {
      await broker.close();
      await store.close();
    }
  });

  it.skipIf(!existsSync('/proc/self/io'))('holds the file read back while a client does not read (memory stays bounded)', async () => {
    const big = join(dir, 'big.json');
    const records = 600_000;
    const parts: string[] = [];
    for (let i = 0; i < records; i++) parts.push(`{"id":${i % 20},"val":${(i * 0.37).toFixed(3)},"time":${START + i}}`);
    await writeFile(big, `[${parts.join(',\n')}]`);
    const size = parts.reduce((n, p) => n + p.length + 2, 0);
    const server = buildServer({ stream: { files: { metrics: big, workorders: files.workorders } } });
    const url = await listen(server);
    const bytesRead = () => Number(/rchar: (\d+)/.exec(readFileSync('/proc/self/io', 'utf8'))![1]);
    try {
      const request = get(`${url}/metrics`);
      const response = await new Promise<IncomingMessage>((resolve) => request.once('response', resolve));
      response.pause(); // never read: the socket buffers fill and the server must stop reading the file
      await sleep(1500);
      const before = bytesRead();
      await sleep(1000);
      const readWhileStalled = bytesRead() - before;
      request.destroy();
      // Without backpressure the server keeps reading (and queueing) the 27 MB file at megabytes a second.
      expect(size).toBeGreaterThan(25_000_000);
      expect(readWhileStalled).toBeLessThan(2_000_000);
    } finally {
      await server.close();
    }
  });
});
