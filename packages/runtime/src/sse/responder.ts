/**
 * Pushes a status stream to HTTP clients as Server-Sent Events. Every event gets an id; the latest
 * ones are kept so a client that reconnects with `Last-Event-ID` (an `EventSource` does so by
 * itself) gets exactly what it missed. Comments keep idle connections alive. The stream ends when
 * `status$` completes (every pipeline's `status$` completes right after its `done` or `failed`
 * event), or at the first event `isFinal` picks. A client that goes away releases its
 * subscription at once; one that does not read is dropped once `maxBufferedBytes` are waiting for
 * it, and clients past `maxClients` are answered 503: no client can make the server buffer
 * without end. Passwords are removed from every event.
 *
 * It answers a bare `node:http` request (`responder.handle(req, res)`) and plugs into Fastify
 * through {@link sseRoute}.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Observable, Subscription } from 'rxjs';
import { redact } from '../redact.js';
import { EventLog, type Numbered } from './event-log.js';
import { parseLastEventId, sseComment, sseHeaders } from './format.js';

/** Options of {@link createSseResponder}. */
export interface SseResponderOptions<T> {
  /** Events kept for replay after `Last-Event-ID` (default 1000). */
  replay?: number;
  /** Ms between heartbeat comments (default 15 000). */
  heartbeatMs?: number;
  /** Most clients connected at once; more are answered 503 (default 100). */
  maxClients?: number;
  /** Bytes a client may leave unread before it is dropped (default 1 MiB). */
  maxBufferedBytes?: number;
  /** Reconnect delay a client is told (`retry:`), in ms (default 2000). */
  retryMs?: number;
  /** SSE event name of an event (default: its `type` field, when it has one). */
  eventName?: (event: T) => string | undefined;
  /** Ends every client's stream after this event (default: none; the stream ends when `status$` completes). */
  isFinal?: (event: T) => boolean;
}

/** An SSE endpoint for one status stream. */
export interface SseResponder {
  /** Answers one request (GET streams, HEAD answers the headers, other methods 405). */
  handle(request: IncomingMessage, response: ServerResponse): void;
  /** Clients connected now. */
  readonly clientCount: number;
  /** Whether `status$` has ended (new clients get the replay and an ended stream). */
  readonly complete: boolean;
  /** Id of the newest event (0 before the first). */
  readonly lastEventId: number;
  /** Releases `status$` and ends every client's stream. */
  close(): void;
}

function defaultName(event: unknown): string | undefined {
  const type = (event as { type?: unknown } | null)?.type;
  return typeof type === 'string' ? type : undefined;
}

/** Frames one numbered event. */
function frame<T>(entry: Numbered<T>, name: ((event: T) => string | undefined) | undefined): string {
  const event = (name ?? defaultName)(entry.event);
  return `${event ? `event: ${event.replace(/[\r\n]/g, ' ')}\n` : ''}id: ${entry.id}\ndata: ${redact(JSON.stringify(entry.event))}\n\n`;
}

/** Creates an SSE endpoint for `status$`; it subscribes once, now, for all its clients. */
export function createSseResponder<T>(status$: Observable<T>, options: SseResponderOptions<T> = {}): SseResponder {
  const log = new EventLog(status$, options.replay ?? 1000);
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const maxClients = options.maxClients ?? 100;
  const maxBuffered = options.maxBufferedBytes ?? 1024 * 1024;
  const clients = new Set<() => void>();

  const handle = (request: IncomingMessage, response: ServerResponse): void => {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'application/json' }).end(JSON.stringify({ error: 'use GET for the event stream' }));
      return;
    }
    if (clients.size >= maxClients) {
      response.writeHead(503, { 'retry-after': '5', 'content-type': 'application/json' }).end(JSON.stringify({ error: `too many event-stream clients (at most ${maxClients}); try again later` }));
      return;
    }
    response.writeHead(200, sseHeaders);
    if (request.method === 'HEAD') return void response.end();

    let subscription: Subscription | undefined;
    let heartbeat: NodeJS.Timeout | undefined;
    let finished = false;
    const cleanup = () => {
      if (finished) return;
      finished = true;
      subscription?.unsubscribe();
      if (heartbeat) clearInterval(heartbeat);
      clients.delete(cleanup);
    };
    const end = () => {
      cleanup();
      response.end();
    };
    /** Writes a chunk; drops a client that leaves too much unread. Returns false once dropped. */
    const send = (chunk: string): boolean => {
      if (finished) return false;
      response.write(chunk);
      if (response.writableLength > maxBuffered) {
        cleanup();
        response.destroy();
        return false;
      }
      return true;
    };
    const deliver = (entry: Numbered<T>): void => {
      if (!send(frame(entry, options.eventName))) return;
      if (options.isFinal?.(entry.event)) end();
    };

    clients.add(cleanup);
    response.once('close', cleanup);
    const url = new URL(request.url ?? '/', 'http://localhost');
    const after = parseLastEventId(request.headers['last-event-id']) ?? parseLastEventId(url.searchParams.get('lastEventId') ?? undefined) ?? 0;
    send(`retry: ${options.retryMs ?? 2000}\n${sseComment('connected')}`);
    const { events, missed } = log.since(after);
    if (missed > 0) send(sseComment(`${missed} earlier events are no longer kept; replaying from id ${events[0]?.id ?? log.lastId + 1}`));
    for (const entry of events) {
      deliver(entry);
      if (finished) return;
    }
    if (log.complete) return end();
    subscription = log.updates.subscribe({ next: deliver, complete: end });
    heartbeat = setInterval(() => send(sseComment('heartbeat')), heartbeatMs);
    heartbeat.unref();
  };

  return {
    handle,
    get clientCount() {
      return clients.size;
    },
    get complete() {
      return log.complete;
    },
    get lastEventId() {
      return log.lastId;
    },
    close() {
      log.close();
      for (const cleanup of [...clients]) cleanup();
    },
  };
}

/** The parts of a Fastify request and reply the route uses (no Fastify dependency here). */
export interface FastifyLikeReply {
  raw: ServerResponse;
  hijack(): unknown;
}

/**
 * A Fastify route handler for a responder:
 * `app.get('/status', sseRoute(responder))`. Pass a function to pick a responder per request
 * (e.g. one per ingestion id); one that returns `undefined` gets a 404.
 */
export function sseRoute<Req extends { raw: IncomingMessage }>(responder: SseResponder | ((request: Req) => SseResponder | undefined)) {
  return (request: Req, reply: FastifyLikeReply): FastifyLikeReply => {
    const target = typeof responder === 'function' ? responder(request) : responder;
    reply.hijack();
    if (!target) {
      reply.raw.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'no such event stream' }));
      return reply;
    }
    target.handle(request.raw, reply.raw);
    return reply;
  };
}
