/**
 * `GET /status`: the pipelines' status events pushed as Server-Sent Events (nobody polls), with
 * event ids, replay after `Last-Event-ID`, heartbeats, and bounded clients (the runtime's SSE
 * responder).
 */
import type { FastifyInstance } from 'fastify';
import type { Observable } from 'rxjs';
import type { StatusEvent } from '@sluice/core';
import { createSseResponder, sseRoute } from '@sluice/runtime';

/** Registers `GET /status` (and HEAD); the stream ends when `status$` completes. */
export function registerStatusRoute(app: FastifyInstance, status$: Observable<StatusEvent>): void {
  const responder = createSseResponder(status$);
  app.get('/status', sseRoute(responder));
  app.addHook('onClose', async () => responder.close());
}
