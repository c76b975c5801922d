/**
 * The HTTP front-door pieces on a real `node:http` server on loopback: streamed, decoded and
 * limited request bodies for any content type a route takes (JSON, NDJSON, CSV), timeouts, bearer
 * auth, the token and host checks, 5xx answers with a request id, strict integers, client caps.
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { RetryExhaustedError, SluiceError } from '@sluice/core';
import { afterEach, describe, expect, it } from 'vitest';
import {
  HttpError,
  UsageError,
  bearerToken,
  bodyTypeOf,
  createClientLimit,
  errorAnswer,
  hasBearerToken,
  httpServerOptions,
  integerParam,
  isLoopbackHost,
  listenHost,
  readBody,
  requireBodyType,
  tokenOption,
  type ReadBodyOptions,
} from '../src/index.js';

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** A server whose one route reads the body with `options` and answers what it read (or the error). */
async function bodyServer(options: ReadBodyOptions, timeouts = {}): Promise<string> {
  const server = createServer(httpServerOptions(timeouts), (request: IncomingMessage, response: ServerResponse) => {
    void (async () => {
      try {
        const body = readBody(request, options);
        const chunks: Buffer[] = [];
        for await (const chunk of body) chunks.push(chunk);
        response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ type: body.type, encoding: body.encoding, bytes: body.bytes, text: Buffer.concat(chunks).toString() }));
      } catch (error) {
        const answer = errorAnswer(error, { log: () => undefined });
        response.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers }).end(JSON.stringify(answer.body));
      }
    })();
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function send(url: string, body: Buffer | string, headers: Record<string, string>) {
  const response = await fetch(url, { method: 'POST', headers, body });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

describe('readBody', () => {
  it('takes a CSV upload on a CSV route and refuses JSON there (and CSV on a JSON route), 415 naming what to send', async () => {
    const csv = await bodyServer({ limit: 1024, types: ['csv'] });
    expect(await send(csv, 'a,b\n1,2\n', { 'content-type': 'text/csv; charset=utf-8' })).toEqual({ status: 200, json: { type: 'csv', encoding: 'identity', bytes: 8, text: 'a,b\n1,2\n' } });
    const refused = await send(csv, '[]', { 'content-type': 'application/json' });
    expect(refused.status).toBe(415);
    expect(refused.json.error).toMatch(/send the body as text\/csv/);
    const json = await bodyServer({ limit: 1024 });
    expect((await send(json, 'a,b\n', { 'content-type': 'text/csv' })).status).toBe(415);
    expect((await send(json, '[]', { 'content-type': 'text/plain' })).status).toBe(415);
    expect((await send(json, '{}', { 'content-type': 'application/vnd.sluice+json' })).json.type).toBe('json');
  });

  it('decodes gzip, deflate and br; the limit counts decoded bytes; other encodings are 415, broken ones 400', async () => {
    const url = await bodyServer({ limit: 10_000, types: ['ndjson'] });
    const text = '{"a":1}\n'.repeat(1000);
    for (const [encoding, bytes] of [['gzip', gzipSync(text)], ['x-gzip', gzipSync(text)], ['deflate', deflateSync(text)], ['br', brotliCompressSync(text)]] as const) {
      const { status, json } = await send(url, bytes, { 'content-type': 'application/x-ndjson', 'content-encoding': encoding });
      expect(status, encoding).toBe(200);
      expect(json.text, encoding).toBe(text);
    }
    const bomb = await send(url, gzipSync(Buffer.alloc(5_000_000, 0x20)), { 'content-type': 'application/x-ndjson', 'content-encoding': 'gzip' });
    expect(bomb.status).toBe(413);
    expect(bomb.json).toMatchObject({ limit: 10_000, error: expect.stringMatching(/larger than 10000 bytes once decoded/) });
    expect((await send(url, text, { 'content-type': 'application/x-ndjson', 'content-encoding': 'compress' })).status).toBe(415);
    const broken = await send(url, 'plain text', { 'content-type': 'application/x-ndjson', 'content-encoding': 'gzip' });
    expect(broken.status).toBe(400);
    expect(broken.json.error).toMatch(/not valid gzip/);
  });

  it('refuses a declared length over the limit before reading, and a chunked body once it passes it', async () => {
    const url = await bodyServer({ limit: 100 });
    expect((await send(url, 'x'.repeat(101), { 'content-type': 'application/json' })).status).toBe(413);
    const status = await new Promise<number>((resolve) => {
      const req = httpRequest(`${url}/`, { method: 'POST', headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', () => undefined);
      for (let i = 0; i < 10; i++) req.write('x'.repeat(50));
      req.end();
    });
    expect(status).toBe(413);
  });

  it('answers 408 to a client that stops sending, and the server closes a request that never ends', async () => {
    const url = await bodyServer({ limit: 1000, idleMs: 200 }, { requestMs: 1500, headersMs: 1000, checkIntervalMs: 100 });
    const { port } = new URL(url);
    const socket = connect({ host: '127.0.0.1', port: Number(port) });
    let received = '';
    socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
    const closed = new Promise<boolean>((resolve) => {
      socket.once('close', () => resolve(true));
      setTimeout(() => resolve(false), 5000);
    });
    socket.write('POST / HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n[');
    expect(await closed).toBe(true);
    expect(received).toMatch(/^HTTP\/1\.1 408/);
    expect(received).toMatch(/connection: close/i);
    // Headers that never end are cut by the server's header timeout.
    const slow = connect({ host: '127.0.0.1', port: Number(port) });
    slow.on('data', () => undefined);
    const slowClosed = new Promise<boolean>((resolve) => {
      slow.once('close', () => resolve(true));
      setTimeout(() => resolve(false), 5000);
    });
    slow.write('POST / HTTP/1.1\r\nhost: x\r\n');
    expect(await slowClosed).toBe(true);
  });
});

describe('content types', () => {
  it('reads media types and charsets, refuses other charsets', () => {
    expect(bodyTypeOf('Application/JSON; charset="UTF-8"', ['json'])).toBe('json');
    expect(bodyTypeOf('application/x-ndjson', ['json'])).toBeUndefined();
    expect(requireBodyType('application/jsonl', ['json', 'ndjson'])).toBe('ndjson');
    expect(() => requireBodyType('application/json; charset=iso-8859-1', ['json'])).toThrow(/charset iso-8859-1/);
    expect(() => requireBodyType(undefined, ['json'])).toThrow(HttpError);
  });
});

describe('bearer auth, tokens and hosts', () => {
  it('matches the scheme in any case and the token exactly', () => {
    for (const header of ['Bearer t0k', 'bearer t0k', 'BEARER  t0k', 'bEaReR\tt0k']) expect(hasBearerToken(header, 't0k'), header).toBe(true);
    for (const header of [undefined, '', 'Basic t0k', 'Bearer', 'Bearer t0', 'Bearer t0kk', 'Bearer t0k extra', 't0k']) expect(hasBearerToken(header, 't0k'), String(header)).toBe(false);
    expect(bearerToken('bearer abc')).toBe('abc');
  });

  it("refuses --token '' and blank tokens; without a token only loopback hosts", () => {
    expect(tokenOption(undefined)).toBeUndefined();
    expect(tokenOption('s3cret')).toBe('s3cret');
    for (const bad of ['', '  ']) expect(() => tokenOption(bad)).toThrow(UsageError);
    expect(() => tokenOption('')).toThrow(/--token is empty/);
    for (const host of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost', '::ffff:127.0.0.1']) expect(isLoopbackHost(host), host).toBe(true);
    for (const host of ['0.0.0.0', '::', '192.168.1.5', 'example.com', '128.0.0.1']) expect(isLoopbackHost(host), host).toBe(false);
    expect(listenHost(undefined, undefined)).toBe('127.0.0.1');
    expect(() => listenHost('0.0.0.0', undefined)).toThrow(/not loopback and no --token/);
    expect(listenHost('0.0.0.0', 'x')).toBe('0.0.0.0');
  });
});

describe('error answers', () => {
  it('a client error as it is; 503 and 500 with a request id, the detail only in the log', () => {
    const logged: string[] = [];
    const log = (line: string) => logged.push(line);
    expect(errorAnswer(new HttpError(413, 'too big', { close: true, fields: { limit: 5 } }), { log })).toEqual({ status: 413, headers: { connection: 'close' }, body: { error: 'too big', limit: 5 } });
    expect(logged).toEqual([]);
    const internal = errorAnswer(new RangeError('Maximum call stack size exceeded at postgres://app:pw@db/x'), { log, requestId: 'req-1' });
    expect(internal).toEqual({ status: 500, headers: {}, body: { error: expect.stringMatching(/^internal error/), requestId: 'req-1' } });
    expect(logged[0]).toMatch(/request req-1 failed: RangeError: Maximum call stack size exceeded at postgres:\/\/app:\*\*\*@db\/x/);
    for (const error of [new SluiceError('ECONNREFUSED 10.0.0.1', { retriable: true }), new RetryExhaustedError('publish', 4, new Error('down'))]) {
      const answer = errorAnswer(error, { log });
      expect(answer.status).toBe(503);
      expect(JSON.stringify(answer.body)).not.toMatch(/ECONNREFUSED|down/);
      expect(answer.body.requestId).toMatch(/^[\w-]{12}$/);
    }
  });
});

describe('integerParam', () => {
  it('takes plain decimal digits only', () => {
    expect(integerParam('since', '42')).toBe(42);
    expect(integerParam('since', '-1', { min: -1 })).toBe(-1);
    expect(integerParam('since', undefined)).toBeUndefined();
    expect(integerParam('since', '', { emptyIsAbsent: true })).toBeUndefined();
    for (const bad of ['1e3', '0x10', ' 5', '+1', '1.0', '', '99999999999999999', '-2', 'NaN']) {
      expect(() => integerParam('since', bad, { min: -1 }), bad).toThrow(/since must be a whole number in decimal digits/);
    }
    expect(() => integerParam('since', ['1', '2'])).toThrow(/given 2 times/);
  });
});

describe('createClientLimit', () => {
  it('answers 503 past the cap and frees a slot when a response closes', async () => {
    const limit = createClientLimit(1, 'GET /stream');
    const server = createServer((_request, response) => {
      if (!limit.admit(response)) return;
      response.writeHead(200).write('open\n');
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    const first = httpRequest(url, { agent: false });
    await new Promise((resolve) => first.once('response', resolve).end());
    const second = await fetch(url);
    expect(second.status).toBe(503);
    expect(((await second.json()) as { error: string }).error).toMatch(/at most 1 at once/);
    first.destroy();
    for (let i = 0; i < 50 && limit.active > 0; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(limit.active).toBe(0);
    const third = httpRequest(url, { agent: false });
    const status = await new Promise<number>((resolve) => third.once('response', (res) => resolve(res.statusCode ?? 0)).end());
    expect(status).toBe(200);
    third.destroy();
  });
});
