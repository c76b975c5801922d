/**
 * `GET /metrics` and `GET /workorders`: the records of the configured files as NDJSON, or as SSE
 * when the client asks for `text/event-stream`. `?since=<cursor>` or the `Last-Event-ID` header
 * resumes after a cursor (the header wins: an EventSource reconnects to the same URL with it); the
 * cursor of a record is its index in the file, written in decimal digits (no `1e3`, `0x10`). A
 * record the file holds but cannot be parsed is sent as `{"$reject":{reason,raw}}` (SSE:
 * `event: reject`) so the client can dead-letter it; nothing is dropped silently.
 *
 * Each route takes at most `maxClients` streams at once (503 past it); a client that does not read
 * holds the file read back (backpressure), so it costs a socket buffer, not memory without end.
 * `HEAD` answers the headers without opening the file.
 */
import type { FastifyInstance } from 'fastify';
import { jsonArraySource, timeSchema, type SourceRecord } from '@sluice/core';
import { HttpError, createClientLimit, integerParam, newRequestId, sseHeaders, sseMessage, stderrLog, wantsEventStream, type ErrorLog } from '@sluice/runtime';
import { kindNames, type Kind } from '../tables.js';
import { PacedWriter } from './paced-writer.js';

/** The files behind the endpoints, and the replay speed. */
export interface StreamRoutesOptions {
  files: Record<Kind, string>;
  /** Replay pacing relative to event time (e.g. 3600); undefined streams as fast as possible. */
  speed?: number;
  /** Most streams of one route at once (default 100); more are answered 503. */
  maxClients?: number;
  /** Where the detail of a failed read goes (default stderr); the client gets a short message. */
  log?: ErrorLog;
  /** Told the byte offset in the file past each record served, for progress (called often: keep it cheap). */
  onRead?: (kind: Kind, offset: number) => void;
}

/** Line of NDJSON for one source item. */
function ndjsonLine(item: SourceRecord<unknown>): string {
  return item.kind === 'record' ? `${JSON.stringify(item.value)}\n` : `${JSON.stringify({ $reject: { reason: item.reason, raw: item.raw } })}\n`;
}

/** SSE message for one source item. */
function sseLine(item: SourceRecord<unknown>): string {
  const id = String(item.position.index);
  return item.kind === 'record' ? sseMessage(item.value, { id }) : sseMessage({ reason: item.reason, raw: item.raw }, { event: 'reject', id });
}

/**
 * Event time of a record in epoch ms, for pacing: read as the schemas read it (ISO text, epoch
 * seconds or milliseconds), so a file in epoch seconds is not replayed 1000 times too fast.
 */
function eventTime(item: SourceRecord<unknown>): number | undefined {
  if (item.kind !== 'record' || typeof item.value !== 'object' || item.value === null) return undefined;
  const parsed = timeSchema.safeParse((item.value as { time?: unknown }).time);
  return parsed.success ? parsed.data : undefined;
}

/** The cursor to resume after: `Last-Event-ID` or `?since=`, a whole number ≥ -1 in decimal digits (-1 when absent). */
function sinceOf(header: string | string[] | undefined, query: string | string[] | undefined): number {
  const text = header ?? query;
  try {
    return integerParam('since', text, { min: -1, emptyIsAbsent: true }) ?? -1;
  } catch (error) {
    if (!(error instanceof HttpError)) throw error;
    throw new HttpError(400, `since must be a record index (a whole number ≥ -1 in decimal digits, as the stream's ids are), got ${JSON.stringify(String(text).slice(0, 40))}`);
  }
}

/** Registers `GET /metrics` and `GET /workorders` (and their HEAD). */
export function registerStreamRoutes(app: FastifyInstance, options: StreamRoutesOptions): void {
  const log = options.log ?? stderrLog;
  for (const kind of kindNames) {
    const clients = createClientLimit(options.maxClients ?? 100, `GET /${kind}`);
    app.get<{ Querystring: { since?: string | string[] } }>(`/${kind}`, (request, reply) => {
      const since = sinceOf(request.headers['last-event-id'], request.query.since);
      const sse = wantsEventStream(request.headers.accept);
      const headers = sse ? sseHeaders : { 'content-type': 'application/x-ndjson; charset=utf-8', 'x-sluice-cursor': 'index' };
      reply.hijack();
      if (request.method === 'HEAD') {
        reply.raw.writeHead(200, headers).end();
        return reply;
      }
      if (!clients.admit(reply.raw)) return reply;
      reply.raw.writeHead(200, headers);
      const writer = new PacedWriter(reply.raw, options.speed ? { speed: options.speed } : {});
      const paced = options.speed !== undefined;
      const onRead = options.onRead;
      const subscription = jsonArraySource({ path: options.files[kind], name: kind })
        .read(undefined, { flow: writer })
        .subscribe({
          next: (item) => {
            if ((item.position.index ?? 0) <= since) return;
            // The event time is read only to pace a replay: unpaced, it would be a parse per record for nothing.
            writer.push(sse ? sseLine(item) : ndjsonLine(item), paced ? eventTime(item) : undefined);
            if (onRead && item.position.offset !== undefined) onRead(kind, item.position.offset);
          },
          error: (error: unknown) => {
            const requestId = newRequestId();
            log(`${new Date().toISOString()} request ${requestId} (GET /${kind}) failed while streaming: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
            const message = `reading the ${kind} file failed; the server log has the detail under request id ${requestId}`;
            writer.push(sse ? sseMessage({ error: message, requestId }, { event: 'error' }) : `${JSON.stringify({ $error: message, requestId })}\n`);
            writer.end();
          },
          complete: () => writer.end(),
        });
      reply.raw.once('close', () => subscription.unsubscribe());
      return reply;
    });
  }
}
