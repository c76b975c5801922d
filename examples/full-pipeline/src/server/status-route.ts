/** `GET /status`: the pipelines' status events pushed as Server-Sent Events (nobody polls). */
import type { FastifyInstance } from 'fastify';
import type { Observable } from 'rxjs';
import type { StatusEvent } from '@sluice/core';
import { sseHeaders, sseMessage } from './sse.js';

/** Registers `GET /status`; each client gets the events from when it connects until `status$` completes. */
export function registerStatusRoute(app: FastifyInstance, status$: Observable<StatusEvent>): void {
  app.get('/status', (request, reply) => {
    reply.hijack();
    reply.raw.writeHead(200, sseHeaders);
    reply.raw.write(': connected\n\n');
    const subscription = status$.subscribe({
      next: (event) => reply.raw.write(sseMessage(event, { event: event.type })),
      complete: () => reply.raw.end(),
    });
    request.raw.once('close', () => subscription.unsubscribe());
    return reply;
  });
}
