/**
 * `POST /ingest/metrics` and `POST /ingest/workorders`: a JSON array or NDJSON body is validated,
 * the valid records are published to the broker, the invalid ones go to the dead letters, and
 * the answer is 202 with the counts and each invalid record's index and reason.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { deadLetter, formatIssues, retry, type Broker, type DeadLetter, type DeadLetterSink, type Envelope } from '@sluice/core';
import { kinds, topicOf, type Kind, type Names } from '../tables.js';

/** Where webhook records go. */
export interface IngestRoutesOptions {
  broker: Broker;
  names: Names;
  deadLetters: DeadLetterSink;
  /** When set, requests need `Authorization: Bearer <token>`. */
  token?: string;
}

/** One invalid record of a request. */
export interface RecordError {
  index: number;
  reason: string;
}

/** Splits an NDJSON body into values; unparsable lines become errors (blank lines are skipped). */
export function parseNdjsonBody(body: string): { values: { index: number; value: unknown }[]; errors: RecordError[] } {
  const values: { index: number; value: unknown }[] = [];
  const errors: RecordError[] = [];
  let index = 0;
  for (const line of body.split('\n')) {
    const text = line.endsWith('\r') ? line.slice(0, -1) : line;
    if (text.trim() === '') continue;
    try {
      values.push({ index, value: JSON.parse(text) as unknown });
    } catch (error) {
      errors.push({ index, reason: `not valid JSON: ${(error as Error).message}` });
    }
    index++;
  }
  return { values, errors };
}

/** The records of a request body, or a reason it has none. */
function recordsOf(request: FastifyRequest): { values: { index: number; value: unknown }[]; errors: RecordError[] } | string {
  const body: unknown = request.body;
  if (typeof body === 'string') return parseNdjsonBody(body);
  if (Array.isArray(body)) return { values: body.map((value: unknown, index) => ({ index, value })), errors: [] };
  return 'the body must be a JSON array of records (application/json) or one record per line (application/x-ndjson)';
}

export function registerIngestRoutes(app: FastifyInstance, options: IngestRoutesOptions): void {
  app.addContentTypeParser(['application/x-ndjson', 'application/ndjson', 'text/plain'], { parseAs: 'string' }, (_request, body, done) => done(null, body));

  for (const kind of ['metrics', 'workorders'] as const satisfies readonly Kind[]) {
    const spec = kinds[kind];
    const topic = topicOf(kind, options.names);
    app.post(`/ingest/${kind}`, async (request, reply) => {
      if (options.token && request.headers.authorization !== `Bearer ${options.token}`) {
        return reply.code(401).send({ error: 'missing or wrong bearer token: send Authorization: Bearer <token>' });
      }
      const parsed = recordsOf(request);
      if (typeof parsed === 'string') return reply.code(400).send({ error: parsed });
      const envelopes: Envelope<unknown>[] = [];
      const errors = [...parsed.errors];
      const letters: DeadLetter[] = parsed.errors.map((e) => deadLetter(`webhook:${kind}`, e.reason, '', { position: { index: e.index } }));
      for (const { index, value } of parsed.values) {
        const result = spec.schema.safeParse(value);
        if (!result.success) {
          const reason = `invalid record: ${formatIssues(result.error).join('; ')}`;
          errors.push({ index, reason });
          letters.push(deadLetter(`webhook:${kind}`, reason, value, { position: { index } }));
          continue;
        }
        const record = result.data as never;
        envelopes.push({ key: spec.key(record), value: result.data, timestamp: spec.time(record), headers: { source: `webhook:${kind}` } });
      }
      if (envelopes.length > 0) await retry(() => options.broker.publish(topic, envelopes), { operation: `publish to ${topic}`, policy: { maxAttempts: 4 } });
      if (letters.length > 0) await retry(() => options.deadLetters.write(letters), { operation: 'write dead letters', policy: { maxAttempts: 4 } });
      errors.sort((a, b) => a.index - b.index);
      return reply.code(202).send({ accepted: envelopes.length, rejected: errors.length, errors });
    });
  }
}
