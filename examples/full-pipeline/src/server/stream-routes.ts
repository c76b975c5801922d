/**
 * `GET /metrics` and `GET /workorders`: the records of the configured files as NDJSON, or as SSE
 * when the client asks for `text/event-stream`. `?since=<cursor>` or the `Last-Event-ID` header
 * resumes after a cursor (the header wins: an EventSource reconnects to the same URL with it); the
 * cursor of a record is its index in the file. A record the file holds but
 * cannot be parsed is sent as `{"$reject":{reason,raw}}` (SSE: `event: reject`) so the client
 * can dead-letter it; nothing is dropped silently.
 */
import type { FastifyInstance } from 'fastify';
import { jsonArraySource, timeSchema, type SourceRecord } from '@sluice/core';
import { kindNames, type Kind } from '../tables.js';
import { PacedWriter } from './paced-writer.js';
import { sseHeaders, sseMessage, wantsEventStream } from '@sluice/runtime';

/** The files behind the endpoints, and the replay speed. */
export interface StreamRoutesOptions {
  files: Record<Kind, string>;
  /** Replay pacing relative to event time (e.g. 3600); undefined streams as fast as possible. */
  speed?: number;
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

/** Registers `GET /metrics` and `GET /workorders`. */
export function registerStreamRoutes(app: FastifyInstance, options: StreamRoutesOptions): void {
  for (const kind of kindNames) {
    app.get<{ Querystring: { since?: string } }>(`/${kind}`, (request, reply) => {
      const sinceText = request.headers['last-event-id'] ?? request.query.since;
      const since = sinceText === undefined || sinceText === '' ? -1 : Number(sinceText);
      if (!Number.isSafeInteger(since) || since < -1) {
        return reply.code(400).send({ error: `since must be a record index (a whole number ≥ -1), got ${JSON.stringify(sinceText)}` });
      }
      const sse = wantsEventStream(request.headers.accept);
      reply.hijack();
      reply.raw.writeHead(200, sse ? sseHeaders : { 'content-type': 'application/x-ndjson; charset=utf-8', 'x-sluice-cursor': 'index' });
      const writer = new PacedWriter(reply.raw, options.speed ? { speed: options.speed } : {});
      const subscription = jsonArraySource({ path: options.files[kind], name: kind })
        .read(undefined, { flow: writer })
        .subscribe({
          next: (item) => {
            if ((item.position.index ?? 0) <= since) return;
            writer.push(sse ? sseLine(item) : ndjsonLine(item), eventTime(item));
          },
          error: (error: unknown) => {
            const message = error instanceof Error ? error.message : String(error);
            writer.push(sse ? sseMessage({ error: message }, { event: 'error' }) : `${JSON.stringify({ $error: message })}\n`);
            writer.end();
          },
          complete: () => writer.end(),
        });
      reply.raw.once('close', () => subscription.unsubscribe());
      return reply;
    });
  }
}
