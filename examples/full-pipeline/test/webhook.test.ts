/**
 * The webhook: JSON-array and NDJSON bodies answered 202 with counts, invalid records answered
 * with index and reason and kept as dead letters, 413 over the size limit, 401 without the bearer
 * token, 400 for a body that holds no records, and records in the store once a consumer ran.
 * (Hostile input, caps, encodings and timeouts: hardening.test.ts.)
 */
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createMemoryBroker, storeDeadLetters, type Broker, type Store } from '@sluice/core';
import { createSqliteStore } from '@sluice/store-sqlite';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consume } from '../src/consume.js';
import { buildServer } from '../src/server/app.js';
import { machineTables, namesFor } from '../src/tables.js';
import { tempDir } from './support/data.js';

const names = namesFor('hook');
const token = 's3cret-token';
const bodyLimit = 4096;
const T = 1_624_377_478;

describe('webhook ingest', () => {
  let remove: () => Promise<void>;
  let store: Store;
  let broker: Broker;
  let app: FastifyInstance;
  let url: string;

  /** POSTs `body` to `/ingest/<kind>` with the token unless told otherwise (`null`: no Authorization header). */
  async function post(kind: string, body: string, type = 'application/json', auth: string | null = `Bearer ${token}`) {
    const response = await fetch(`${url}/ingest/${kind}`, {
      method: 'POST',
      headers: { 'content-type': type, ...(auth ? { authorization: auth } : {}) },
      body,
    });
    return { status: response.status, json: (await response.json()) as Record<string, unknown> };
  }

  beforeAll(async () => {
    let dir: string;
    ({ dir, remove } = await tempDir('webhook'));
    store = createSqliteStore({ filename: join(dir, 'hook.db') });
    await store.migrate(machineTables(names));
    broker = createMemoryBroker();
    app = buildServer({ ingest: { broker, names, deadLetters: storeDeadLetters(store), token }, bodyLimit });
    await app.listen({ host: '127.0.0.1', port: 0 });
    url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await app?.close();
    await broker?.close();
    await store?.close();
    await remove?.();
  });

  it('takes a JSON array: 202 with counts, invalid records answered with index and reason and dead-lettered', async () => {
    const records = [
      { id: 1, val: 10, time: T },
      { id: 1, val: 'ten', time: T + 1 },
      { id: 'spindle', val: 11.5, time: '2021-06-22T16:00:00Z' },
      { id: 2, val: 12 },
      { id: 2, val: 13, time: T + 3 },
    ];
    const { status, json } = await post('metrics', JSON.stringify(records));
    expect(status).toBe(202);
    expect(json).toEqual({
      accepted: 3,
      rejected: 2,
      errors: [
        { index: 1, reason: expect.stringMatching(/^invalid record: val: .*expected number/) },
        { index: 3, reason: expect.stringMatching(/^invalid record: time: /) },
      ],
    });
    const letters = await store.readDeadLetters('hook/webhook:metrics');
    expect(letters.map((l) => [l.position?.index, l.reason])).toEqual([
      [1, (json.errors as { reason: string }[])[0]!.reason],
      [3, (json.errors as { reason: string }[])[1]!.reason],
    ]);
    expect(JSON.parse(letters[0]!.payload)).toEqual(records[1]);
  });

  it('takes NDJSON: bad lines answered with index and line, invalid records with their line too', async () => {
    const body = [
      '',
      JSON.stringify({ time: T, product: 7, production: 0 }),
      '{"time": 1624381078, "product": 7, "production": ',
      JSON.stringify({ time: T + 3600, product: 7, production: 40 }),
      JSON.stringify({ time: T + 7200, product: null, production: 80 }),
    ].join('\n');
    const { status, json } = await post('workorders', body, 'application/x-ndjson');
    expect(status).toBe(202);
    expect(json).toEqual({
      accepted: 2,
      rejected: 2,
      errors: [
        { index: 1, line: 3, reason: expect.stringMatching(/^line 3 is not valid JSON/) }, // blank lines count as lines, not as records
        { index: 3, line: 5, reason: expect.stringMatching(/^invalid record: product: /) },
      ],
    });
    // What curl -d sends (a form type) is what a browser page can send to another origin: refused.
    expect((await post('workorders', body, 'application/x-www-form-urlencoded')).status).toBe(415);
    const letters = await store.readDeadLetters('hook/webhook:workorders');
    expect(letters).toHaveLength(2);
    expect(letters[0]).toMatchObject({ payload: '{"time": 1624381078, "product": 7, "production": ', position: { index: 1, line: 3 } });
  });

  it('answers 413 to a body over the limit, saying what to do', async () => {
    const many = Array.from({ length: 200 }, (_, i) => ({ id: 1, val: i, time: T + i }));
    const { status, json } = await post('metrics', JSON.stringify(many));
    expect(status).toBe(413);
    expect(json.error).toMatch(/larger than 4096 bytes.*smaller batches/);
  });

  it('requires the bearer token when one is configured', async () => {
    const body = JSON.stringify([{ id: 1, val: 1, time: T + 99 }]);
    for (const auth of [null, 'Bearer wrong', `Basic ${token}`, `Bearer ${token}x`]) {
      const { status, json } = await post('metrics', body, 'application/json', auth);
      expect(status, String(auth)).toBe(401);
      expect(json.error).toMatch(/bearer token/);
    }
    expect((await post('metrics', body)).status).toBe(202);
  });

  it('answers 400 with a clear message to a body that is neither a JSON array nor NDJSON', async () => {
    const cases: [string, string, RegExp][] = [
      ['', 'application/json', /the body is empty/],
      ['hello machine\nhow are you', 'application/x-ndjson', /neither a JSON array nor NDJSON/],
      ['[{"id": 1, "val": 2, "time": 3}', 'application/json', /starts with "\[" but is not a valid JSON array/],
      ['{\n  "id": 1,\n  "val": 2,\n  "time": 3\n}', 'application/json', /one JSON object spread over several lines/],
    ];
    for (const [body, type, message] of cases) {
      const { status, json } = await post('metrics', body, type);
      expect(status, JSON.stringify(body)).toBe(400);
      expect(json.error).toMatch(message);
      expect(json.error).toMatch(/send a JSON array of records/);
    }
  });

  it('publishes to the broker: once a consumer ran the records are rows, a repeated record is one row', async () => {
    const again = [{ id: 1, val: 10, time: T }, { id: 9, val: 90, time: T + 9 }];
    expect((await post('metrics', JSON.stringify(again))).json).toMatchObject({ accepted: 2, rejected: 0 });
    const summary = await consume({ broker, store, names, idleStopMs: 300 }).done;
    expect(summary.rejected).toBe(0);
    const metrics = await store.query<{ parameter: string; time: number; val: number }>(`SELECT parameter, time, val FROM ${names.metricsTable} ORDER BY time, parameter`);
    expect(metrics.map((r) => [JSON.parse(r.parameter) as unknown, Number(r.time), r.val])).toEqual([
      [1, T * 1000, 10],
      [2, (T + 3) * 1000, 13],
      [9, (T + 9) * 1000, 90],
      [1, (T + 99) * 1000, 1],
      ['spindle', Date.parse('2021-06-22T16:00:00Z'), 11.5],
    ]);
    const workorders = await store.query(`SELECT product, time, production FROM ${names.workordersTable} ORDER BY time`);
    expect(workorders).toEqual([
      { product: '7', time: T * 1000, production: 0 },
      { product: '7', time: (T + 3600) * 1000, production: 40 },
    ]);
  });
});
