/**
 * `POST /ingest/metrics` and `POST /ingest/workorders`: a JSON array or NDJSON body, read as a
 * stream (gzip, deflate and br decoded, the size limit on the decoded bytes), validated record by
 * record; valid records are published to the broker in batches, refused ones dead-lettered with
 * their exact bytes in bounded chunks, and the answer is 202 with the counts and the first errors.
 *
 * Refused up front: a request without the bearer token (401, when one is set), a content type
 * other than JSON or NDJSON (415: a browser's simple cross-origin POST cannot send those), an
 * unknown encoding (415), a declared length over the limit (413). While reading: a body that grows
 * past the limit (413), a client that stops sending (408), more than `maxRejects` refused records
 * (422 naming the cap). A body that holds no records at all is 400, with nothing kept.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Broker, DeadLetterSink } from '@sluice/core';
import { HttpError, bearerChallenge, hasBearerToken, readBody } from '@sluice/runtime';
import { kindNames, type Names } from '../tables.js';
import { BrokenBody, IngestBodyParser, PARSE_STEP } from './ingest-parser.js';
import { IngestSession, defaultSessionLimits, type SessionLimits } from './ingest-session.js';

export type { RecordError } from './ingest-session.js';

/** Where webhook records go, and the limits of one request. */
export interface IngestRoutesOptions {
  broker: Broker;
  names: Names;
  deadLetters: DeadLetterSink;
  /** When set, requests need `Authorization: Bearer <token>` (the scheme in any case). */
  token?: string;
  /** Largest body in bytes, after decoding (default: the server's, 16 MiB). */
  bodyLimit?: number;
  /** Most ms without a byte of the body before the request is dropped with 408 (default 15 000). */
  bodyIdleMs?: number;
  /** Most refused records per request (default 1000); past it the answer is 422. */
  maxRejects?: number;
  /** Most errors listed in an answer (default 100); the rest are counted in `unlistedErrors`. */
  listedErrors?: number;
  /** Most nesting levels of a record (default 64); deeper ones are refused unparsed. */
  maxDepth?: number;
}

/** The answer to an accepted request. */
export interface IngestAnswer {
  accepted: number;
  rejected: number;
  errors: { index: number; line?: number; reason: string }[];
  /** Refused records not listed in `errors`. */
  unlistedErrors?: number;
}

/** An answer that says what was handled before the request stopped. */
function stopped(reply: FastifyReply, status: number, error: string, session: IngestSession, extra: Record<string, unknown> = {}): FastifyReply {
  return reply
    .code(status)
    .header('connection', 'close')
    .send({ error, ...extra, ...session.summary() });
}

/** Registers the webhook routes in their own scope (body read by the route, auth hook). */
export function registerIngestRoutes(app: FastifyInstance, options: IngestRoutesOptions): void {
  const limit = options.bodyLimit ?? 16 * 1024 * 1024;
  const limits: SessionLimits = {
    ...defaultSessionLimits,
    ...(options.maxRejects !== undefined ? { maxRejects: options.maxRejects } : {}),
    ...(options.listedErrors !== undefined ? { listedErrors: options.listedErrors } : {}),
  };
  const maxDepth = options.maxDepth ?? 64;
  void app.register(async (scope) => {
    // The route reads the body itself, as a stream: no parser buffers it first.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_request, _payload, done) => done(null));
    if (options.token !== undefined) {
      const token = options.token;
      scope.addHook('onRequest', async (request, reply) => {
        if (!hasBearerToken(request.headers.authorization, token)) {
          return reply.code(bearerChallenge.status).headers({ ...bearerChallenge.headers, connection: 'close' }).send(bearerChallenge.body);
        }
      });
    }
    for (const kind of kindNames) {
      scope.post(`/ingest/${kind}`, async (request, reply) => {
        const body = readBody(request.raw, { limit, types: ['json', 'ndjson'], ...(options.bodyIdleMs ? { idleMs: options.bodyIdleMs } : {}) });
        const parser = new IngestBodyParser(maxDepth);
        const session = new IngestSession(kind, options.names, options.broker, options.deadLetters, limits);
        let decided = false;
        const take = async (items: Parameters<IngestSession['take']>[0]) => {
          if (!decided && parser.format !== undefined) {
            decided = true;
            session.holding = parser.format === 'ndjson';
          }
          await session.take(items);
        };
        try {
          reading: for await (const chunk of body) {
            // Small steps: each yields a bounded number of records, and the cap is checked between them.
            for (let at = 0; at < chunk.length; at += PARSE_STEP) {
              await take(parser.push(chunk.subarray(at, at + PARSE_STEP)));
              if (session.cappedAt !== undefined || parser.broken !== undefined) break reading;
            }
          }
          if (session.cappedAt === undefined && parser.broken === undefined) {
            const rest = parser.end();
            if (rest instanceof BrokenBody) return reply.code(400).send({ error: rest.reason });
            await take(rest);
          }
        } catch (error) {
          if (error instanceof HttpError && session.accepted + session.rejected > 0) {
            // Records before the failure were handled: say so with the refusal.
            await session.finish();
            return stopped(reply, error.status, error.message, session, error.fields);
          }
          throw error;
        }
        if (parser.format === 'array' && parser.broken !== undefined && session.accepted === 0 && session.rejected === 1) {
          // The array is broken before any element: the body as a whole is refused, nothing kept.
          session.discardHeld();
          return reply.code(400).send({ error: `the body starts with "[" but is not a valid JSON array: ${parser.broken}: send a JSON array of records ([{…},{…}]) or one JSON record per line (NDJSON)` });
        }
        if (session.holding && session.accepted === 0) {
          // NDJSON in which no line is JSON: not records at all.
          session.discardHeld();
          return reply.code(400).header('connection', 'close').send({ error: parser.notRecords(session.firstReason) });
        }
        await session.finish();
        if (session.cappedAt !== undefined) {
          return stopped(
            reply,
            422,
            `more than ${limits.maxRejects} invalid records in one request: the records from index ${session.cappedAt} on were not read. ` +
              'The ones before were handled as counted here; fix the records and send the rest again',
            session,
            { maxRejects: limits.maxRejects, notRead: `from index ${session.cappedAt}` },
          );
        }
        const answer: IngestAnswer = session.summary();
        return reply.code(202).send(answer);
      });
    }
  });
}
