/**
 * `POST /ingest/metrics` and `POST /ingest/workorders`: a JSON array or NDJSON body (any content
 * type) is validated, the valid records are published to the broker, the invalid ones go to the
 * dead letters, and the answer is 202 with the counts and each invalid record's index and reason.
 * The body is read as bytes: a leading byte order mark is skipped, and a record that is not UTF-8 is
 * refused by its index. A body that is not records at all (or an array cut short) is answered 400, one over the size limit 413, a request
 * without the configured bearer token 401, a broker that stays unreachable 503.
 */
import { timingSafeEqual } from 'node:crypto';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { RetryExhaustedError, SluiceError, deadLetter, formatIssues, retry, type Broker, type DeadLetter, type DeadLetterSink, type Envelope } from '@sluice/core';
import { kindNames, kinds, qualified, topicOf, type Kind, type Names } from '../tables.js';
import { parseIngestBody, type RecordError } from './ingest-body.js';

/** Where webhook records go. */
export interface IngestRoutesOptions {
  broker: Broker;
  names: Names;
  deadLetters: DeadLetterSink;
  /** When set, requests need `Authorization: Bearer <token>`. */
  token?: string;
  /** Largest body in bytes (default: the server's, 16 MiB). */
  bodyLimit?: number;
}

/** The answer to an accepted request. */
export interface IngestAnswer {
  accepted: number;
  rejected: number;
  errors: RecordError[];
}

/** Whether the request carries the bearer token (compared in constant time). */
function authorized(request: FastifyRequest, token: string): boolean {
  const given = Buffer.from(request.headers.authorization ?? '');
  const expected = Buffer.from(`Bearer ${token}`);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Validates the parsed records of one kind: envelopes to publish, errors to answer, letters to keep. */
function validate(kind: Kind, names: Names, body: Exclude<ReturnType<typeof parseIngestBody>, string>) {
  const spec = kinds[kind];
  const origin = qualified(names, `webhook:${kind}`);
  const envelopes: Envelope<unknown>[] = [];
  const errors = [...body.errors];
  const letters: DeadLetter[] = body.errors.map((e) => deadLetter(origin, e.reason, e.raw ?? '', { position: { index: e.index, ...(e.line ? { line: e.line } : {}) } }));
  for (const { index, value } of body.values) {
    const result = spec.schema.safeParse(value);
    if (!result.success) {
      const reason = `invalid record: ${formatIssues(result.error).join('; ')}`;
      errors.push({ index, reason });
      letters.push(deadLetter(origin, reason, value, { position: { index } }));
      continue;
    }
    const record = result.data as never;
    envelopes.push({ key: spec.key(record), value: result.data, timestamp: spec.time(record), headers: { source: origin } });
  }
  errors.sort((a, b) => a.index - b.index);
  return { envelopes, errors: errors.map(({ raw: _raw, ...e }) => e), letters };
}

/** Answers errors of the ingest routes with a status that says whose fault it is, and what to do. */
function answerError(error: FastifyError, reply: FastifyReply, bodyLimit: number | undefined): FastifyReply {
  if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    const limit = bodyLimit ? `${bodyLimit} bytes` : 'the limit';
    return reply.code(413).send({ error: `the body is larger than ${limit}: send the records in smaller batches (serve --body-limit raises the limit)` });
  }
  if (error instanceof SluiceError) {
    // A broker or store that stayed unreachable through the retries: the client may try again later.
    const unavailable = error.retriable || error instanceof RetryExhaustedError;
    return reply.code(unavailable ? 503 : 500).send({ error: `${error.message}${unavailable ? '; send the request again later' : ''}` });
  }
  return reply.code(error.statusCode && error.statusCode >= 400 ? error.statusCode : 500).send({ error: error.message });
}

/** Registers the webhook routes in their own scope (own body parser, auth hook and error answers). */
export function registerIngestRoutes(app: FastifyInstance, options: IngestRoutesOptions): void {
  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', ...(options.bodyLimit ? { bodyLimit: options.bodyLimit } : {}) }, (_request, body, done) => done(null, body));
    if (options.token) {
      const token = options.token;
      scope.addHook('onRequest', async (request, reply) => {
        if (!authorized(request, token)) return reply.code(401).send({ error: 'missing or wrong bearer token: send the header Authorization: Bearer <token>' });
      });
    }
    scope.setErrorHandler((error: FastifyError, _request, reply) => answerError(error, reply, options.bodyLimit));
    for (const kind of kindNames) {
      const topic = topicOf(kind, options.names);
      scope.post(`/ingest/${kind}`, async (request, reply) => {
        const body = parseIngestBody(Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0));
        if (typeof body === 'string') return reply.code(400).send({ error: body });
        const { envelopes, errors, letters } = validate(kind, options.names, body);
        const policy = { policy: { maxAttempts: 4 } };
        if (envelopes.length > 0) await retry(() => options.broker.publish(topic, envelopes), { operation: `publish to ${topic}`, ...policy });
        if (letters.length > 0) await retry(() => options.deadLetters.write(letters), { operation: 'write dead letters', ...policy });
        const answer: IngestAnswer = { accepted: envelopes.length, rejected: errors.length, errors };
        return reply.code(202).send(answer);
      });
    }
  });
}
