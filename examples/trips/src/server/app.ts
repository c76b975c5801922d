/**
 * The trips HTTP server: POST /ingestions (a CSV body, streamed to a spool file in bounded memory,
 * or `{"path"}` of a file inside the configured directory), GET /ingestions/:id/events (SSE),
 * GET /ingestions/events (every ingestion's state, SSE), GET / (the live page), GET /weekly-average.
 */
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, realpath, rm, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import { ConfigError, SluiceError, type Store } from '@sluice/core';
import { sseRoute, type Shutdown } from '@sluice/runtime';
import { areaOf, rangeOf } from '../cli-args.js';
import { weeklyAverage } from '../queries.js';
import type { TripSettings } from '../trip.js';
import { Ingestions } from './ingestions.js';
import { renderPage } from './page.js';

/** What the server needs. */
export interface TripsServerOptions {
  store: Store;
  settings: TripSettings;
  shutdown: Shutdown;
  /** The only directory `{"path"}` may name files in. */
  filesDir: string;
  /** Where uploaded bodies are spooled while they are ingested. */
  spoolDir: string;
  /** Largest upload in bytes (default 64 GiB). */
  maxUploadBytes?: number;
}

/** Why a `{"path"}` cannot be ingested, or the real path inside the directory. */
async function confinedPath(dir: string, path: unknown): Promise<{ path: string } | { status: number; error: string }> {
  if (typeof path !== 'string' || path === '' || path.includes('\0')) return { status: 400, error: 'give {"path": "FILE"}, a file name inside the server\'s files directory' };
  const root = await realpath(dir);
  const wanted = resolve(root, path);
  const inside = (p: string) => {
    const rel = relative(root, p);
    return rel !== '' && !rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel);
  };
  if (!inside(wanted)) return { status: 403, error: `path ${JSON.stringify(path)} is outside the files directory; name a file inside it` };
  let real: string;
  try {
    real = await realpath(wanted);
  } catch {
    return { status: 404, error: `no file ${JSON.stringify(path)} in the files directory` };
  }
  if (!inside(real)) return { status: 403, error: `path ${JSON.stringify(path)} leads outside the files directory (a link); name a file inside it` };
  if (!(await stat(real)).isFile()) return { status: 400, error: `${JSON.stringify(path)} is not a file` };
  return { path: real };
}

/** Builds (does not start) the server. */
export async function buildTripsServer(options: TripsServerOptions): Promise<{ app: FastifyInstance; ingestions: Ingestions }> {
  const { store, settings } = options;
  await mkdir(options.spoolDir, { recursive: true });
  const ingestions = new Ingestions(store, settings, options.shutdown);
  const app = Fastify({ logger: false });
  const maxUpload = options.maxUploadBytes ?? 64 * 2 ** 30;

  // JSON bodies are small ({"path"}); anything else is a CSV body, streamed, never buffered.
  app.addContentTypeParser('*', (_request, payload, done) => done(null, payload));
  app.setErrorHandler((error: FastifyError, _request, reply) => {
    if (error instanceof ConfigError) return reply.code(400).send({ error: error.message });
    if (error instanceof SluiceError) return reply.code(error.retriable ? 503 : 500).send({ error: error.message });
    return reply.code(error.statusCode && error.statusCode >= 400 ? error.statusCode : 500).send({ error: error.message });
  });

  app.get('/health', async () => ({ ok: true }));

  app.post('/ingestions', async (request, reply) => {
    const events = (id: string) => `/ingestions/${id}/events`;
    if (request.headers['content-type']?.startsWith('application/json')) {
      const found = await confinedPath(options.filesDir, (request.body as { path?: unknown } | null)?.path);
      if ('error' in found) return reply.code(found.status).send({ error: found.error });
      const id = ingestions.start(found.path, relative(await realpath(options.filesDir), found.path), (await stat(found.path)).size, false);
      return reply.code(202).send({ id, events: events(id) });
    }
    const declared = Number(request.headers['content-length'] ?? 0);
    if (declared > maxUpload) return reply.code(413).send({ error: `the body is larger than ${maxUpload} bytes; split the file` });
    const spool = join(options.spoolDir, `${randomUUID()}.csv`);
    let bytes = 0;
    const body = request.body as Readable;
    body.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > maxUpload) body.destroy(new Error(`the body is larger than ${maxUpload} bytes; split the file`));
    });
    try {
      await pipeline(body, createWriteStream(spool));
    } catch (error) {
      await rm(spool, { force: true });
      return reply.code(bytes > maxUpload ? 413 : 400).send({ error: `the upload did not complete: ${(error as Error).message}` });
    }
    if (bytes === 0) {
      await rm(spool, { force: true });
      return reply.code(400).send({ error: 'the body is empty: send a CSV file, or {"path": "FILE"} as JSON' });
    }
    const name = typeof request.headers['x-file-name'] === 'string' ? request.headers['x-file-name'] : 'upload';
    const id = ingestions.start(spool, `${name} (upload ${bytes} bytes)`, bytes, true);
    return reply.code(202).send({ id, events: events(id) });
  });

  app.get('/ingestions', async () => ingestions.list());
  app.get('/ingestions/events', sseRoute(ingestions.overview));
  app.get('/ingestions/:id/events', sseRoute((request: { raw: IncomingMessage; params: unknown }) => ingestions.responder((request.params as { id: string }).id)));

  app.get('/', async (_request, reply) => {
    const lastEventId = ingestions.overview.lastEventId;
    return reply.type('text/html; charset=utf-8').send(renderPage(ingestions.list(), lastEventId));
  });

  app.get('/weekly-average', async (request) => {
    const q = request.query as Record<string, string | undefined>;
    const area = areaOf({ region: q.region, bbox: q.bbox, match: q.match });
    return weeklyAverage(store, settings, area, rangeOf(q.from, q.to));
  });

  app.addHook('onClose', async () => ingestions.close());
  return { app, ingestions };
}
