/** The machine-data HTTP server: streaming APIs, webhook ingest and status, in one fastify app. */
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import type { Observable } from 'rxjs';
import type { StatusEvent } from '@sluice/core';
import { HttpError, errorAnswer, fastifyTimeouts, newRequestId, stderrLog, type ErrorLog, type ServerTimeouts } from '@sluice/runtime';
import { registerIngestRoutes, type IngestRoutesOptions } from './ingest-routes.js';
import { registerStatusRoute } from './status-route.js';
import { registerStreamRoutes, type StreamRoutesOptions } from './stream-routes.js';

/** What the server serves; each part is optional. */
export interface ServerOptions {
  /** The streaming APIs (GET /metrics, GET /workorders). */
  stream?: StreamRoutesOptions;
  /** The webhook (POST /ingest/...). */
  ingest?: IngestRoutesOptions;
  /** Status events to push at GET /status. */
  status$?: Observable<StatusEvent>;
  /** Largest accepted request body in bytes, after decoding (default 16 MiB). */
  bodyLimit?: number;
  /** Connection timeouts, and `bodyIdleMs`: most ms without a byte of a body (default 15 000). */
  timeouts?: ServerTimeouts & { bodyIdleMs?: number };
  /** Where the detail of failed requests goes, under their request id (default stderr). */
  log?: ErrorLog;
}

/**
 * Builds (does not start) the server; `listen` or `inject` it. `GET /health` answers `{ ok: true }`.
 * Requests get an id; a 5xx answer carries it with a short message, and the detail goes to `log`.
 */
export function buildServer(options: ServerOptions): FastifyInstance {
  const bodyLimit = options.bodyLimit ?? 16 * 1024 * 1024;
  const log = options.log ?? stderrLog;
  const app = Fastify({ bodyLimit, logger: false, genReqId: () => newRequestId(), return503OnClosing: true, ...fastifyTimeouts(options.timeouts) });
  app.setErrorHandler((error: FastifyError, request, reply) => {
    // Fastify's own refusals (a malformed URL, a bad header) keep their 4xx status and message.
    const status = error.statusCode;
    const known = !(error instanceof HttpError) && status !== undefined && status >= 400 && status < 500 ? new HttpError(status, error.message) : error;
    const answer = errorAnswer(known, { requestId: request.id, what: `${request.method} ${request.url.split('?')[0]}`, log });
    return reply.code(answer.status).headers(answer.headers).send(answer.body);
  });
  app.get('/health', async () => ({ ok: true }));
  if (options.stream) registerStreamRoutes(app, { ...options.stream, log });
  if (options.ingest) {
    const bodyIdleMs = options.timeouts?.bodyIdleMs;
    registerIngestRoutes(app, { bodyLimit, ...(bodyIdleMs ? { bodyIdleMs } : {}), ...options.ingest });
  }
  if (options.status$) registerStatusRoute(app, options.status$);
  return app;
}
