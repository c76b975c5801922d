/** The machine-data HTTP server: streaming APIs, webhook ingest and status, in one fastify app. */
import Fastify, { type FastifyInstance } from 'fastify';
import type { Observable } from 'rxjs';
import type { StatusEvent } from '@sluice/core';
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
  /** Largest accepted request body in bytes (default 16 MiB). */
  bodyLimit?: number;
}

/** Builds (does not start) the server; `listen` or `inject` it. `GET /health` answers `{ ok: true }`. */
export function buildServer(options: ServerOptions): FastifyInstance {
  const bodyLimit = options.bodyLimit ?? 16 * 1024 * 1024;
  const app = Fastify({ bodyLimit, logger: false });
  app.get('/health', async () => ({ ok: true }));
  if (options.stream) registerStreamRoutes(app, options.stream);
  if (options.ingest) registerIngestRoutes(app, { bodyLimit, ...options.ingest });
  if (options.status$) registerStatusRoute(app, options.status$);
  return app;
}
