import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import { Observable, Subject } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { createSseResponder, sseRoute, type SseResponder } from '../src/index.js';

interface Event {
  type: string;
  n?: number;
  text?: string;
}

/** A status stream that counts its live subscriptions. */
function counted() {
  const subject = new Subject<Event>();
  let subscriptions = 0;
  const status$ = new Observable<Event>((subscriber) => {
    subscriptions++;
    const inner = subject.subscribe(subscriber);
    return () => {
      subscriptions--;
      inner.unsubscribe();
    };
  });
  return { subject, status$, subscriptions: () => subscriptions };
}

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
});

async function serve(responder: SseResponder): Promise<string> {
  const server = createServer((req, res) => responder.handle(req, res));
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/status`;
}

/** An SSE client that collects text until told to stop or the stream ends. */
function client(url: string, headers: Record<string, string> = {}) {
  const controller = new AbortController();
  let text = '';
  const ended = fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: controller.signal }).then(async (response) => {
    const decoder = new TextDecoder();
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) text += decoder.decode(chunk, { stream: true });
    } catch {
      // aborted
    }
    return response.status;
  });
  return { text: () => text, abort: () => controller.abort(), ended };
}

/** Waits until `check` holds (polling a test condition, not the server). */
async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const ids = (text: string) => [...text.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));

describe('SSE responder', () => {
  it('numbers events, replays what a client missed after Last-Event-ID, and ends after the stream completes', async () => {
    const { subject, status$ } = counted();
    const responder = createSseResponder(status$, { replay: 100 });
    const url = await serve(responder);
    for (let n = 1; n <= 5; n++) subject.next({ type: 'read', n });
    const first = client(url);
    await until(() => ids(first.text()).length === 5, 'the replay');
    subject.next({ type: 'persisted', n: 6 });
    await until(() => ids(first.text()).includes(6), 'a live event');
    expect(first.text()).toContain('event: persisted\nid: 6\ndata: {"type":"persisted","n":6}\n\n');
    first.abort();
    subject.next({ type: 'read', n: 7 });
    subject.next({ type: 'done', n: 8 });
    const again = client(url, { 'last-event-id': '6' });
    await until(() => ids(again.text()).length === 2, 'the missed events');
    expect(ids(again.text())).toEqual([7, 8]);
    subject.complete();
    expect(await again.ended).toBe(200);
    expect(responder.complete).toBe(true);
    // A client that comes after the end gets the replay and an ended stream.
    const late = client(url, { 'last-event-id': '7' });
    expect(await late.ended).toBe(200);
    expect(ids(late.text())).toEqual([8]);
  });

  it('says when the replay buffer no longer holds what a client missed', async () => {
    const { subject, status$ } = counted();
    const responder = createSseResponder(status$, { replay: 3 });
    const url = await serve(responder);
    for (let n = 1; n <= 10; n++) subject.next({ type: 'read', n });
    subject.complete();
    const c = client(url, { 'last-event-id': '2' });
    await c.ended;
    expect(c.text()).toContain(': 5 earlier events are no longer kept; replaying from id 8');
    expect(ids(c.text())).toEqual([8, 9, 10]);
  });

  it('sends heartbeat comments while nothing happens', async () => {
    const { status$ } = counted();
    const responder = createSseResponder(status$, { heartbeatMs: 20 });
    const c = client(await serve(responder));
    await until(() => (c.text().match(/^: heartbeat$/gm) ?? []).length >= 2, 'two heartbeats');
    c.abort();
    responder.close();
  });

  it('releases each client when it disconnects, and the stream when closed', async () => {
    const { subject, status$, subscriptions } = counted();
    const responder = createSseResponder(status$);
    const url = await serve(responder);
    expect(subscriptions()).toBe(1);
    const clients = [client(url), client(url), client(url)];
    await until(() => responder.clientCount === 3, 'three clients');
    clients[0]!.abort();
    clients[1]!.abort();
    await until(() => responder.clientCount === 1, 'two disconnects');
    subject.next({ type: 'read', n: 1 });
    await until(() => ids(clients[2]!.text()).length === 1, 'the remaining client to get the event');
    clients[2]!.abort();
    await until(() => responder.clientCount === 0, 'the last disconnect');
    responder.close();
    expect(subscriptions()).toBe(0);
  });

  it('refuses clients past the cap, drops one that does not read, and answers HEAD without a stream', async () => {
    const { subject, status$ } = counted();
    const responder = createSseResponder(status$, { maxClients: 1, maxBufferedBytes: 64 * 1024 });
    const url = await serve(responder);
    const { port } = new URL(url);
    // A raw client that sends its request and never reads.
    const stuck = connect({ port: Number(port), host: '127.0.0.1' });
    stuck.pause();
    stuck.write('GET /status HTTP/1.1\r\nhost: x\r\naccept: text/event-stream\r\n\r\n');
    await until(() => responder.clientCount === 1, 'the stuck client');
    const refused = await fetch(url);
    expect(refused.status).toBe(503);
    await refused.text();
    const big = 'x'.repeat(64 * 1024);
    for (let i = 0; i < 400 && responder.clientCount > 0; i++) {
      subject.next({ type: 'read', text: big });
      await new Promise((r) => setImmediate(r));
    }
    expect(responder.clientCount).toBe(0);
    stuck.destroy();
    const head = await new Promise<{ status: number; type: string }>((resolve, reject) => {
      const req = httpRequest(url, { method: 'HEAD' }, (res) => {
        res.resume();
        resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']) });
      });
      req.on('error', reject);
      req.end();
    });
    expect(head).toEqual({ status: 200, type: 'text/event-stream; charset=utf-8' });
    responder.close();
  });

  it('plugs into Fastify, one responder per id', async () => {
    const { subject, status$ } = counted();
    const responders = new Map([['a', createSseResponder(status$)]]);
    const app = Fastify();
    app.get<{ Params: { id: string } }>('/runs/:id/events', sseRoute((request: { raw: IncomingMessage; params: { id: string } }) => responders.get(request.params.id)));
    await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
      expect((await fetch(`${base}/runs/zzz/events`)).status).toBe(404);
      const c = client(`${base}/runs/a/events`);
      await until(() => responders.get('a')!.clientCount === 1, 'the client');
      subject.next({ type: 'done' });
      subject.complete();
      expect(await c.ended).toBe(200);
      expect(c.text()).toContain('event: done\nid: 1\n');
    } finally {
      await app.close();
    }
  });
});
