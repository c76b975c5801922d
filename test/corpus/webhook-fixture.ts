/**
 * The example's webhook (`POST /ingest/metrics`) over an in-memory broker, with dead letters in a
 * SQLite store, driven with `app.inject`: what it answered, what it published, what it dead-lettered.
 */
import { concatMap, firstValueFrom, scan, filter, timeout } from 'rxjs';
import { createMemoryBroker, storeDeadLetters, type DeadLetter, type Envelope, type Metric, type MemoryBroker, type Store } from '@sluice/core';
import { createSqliteStore } from '@sluice/store-sqlite';
import { buildServer } from '../../examples/full-pipeline/src/server/app.js';
import { defaultNames, kinds } from '../../examples/full-pipeline/src/tables.js';
import type { MetricRow } from './entries.js';
import { sortRows, within } from './landing.js';

/** One invalid record as the webhook reports it. */
export interface RecordError {
  index: number;
  reason: string;
}

/** The outcome of one webhook request. */
export interface WebhookOutcome {
  status: number;
  /** The parsed answer (`{accepted, rejected, errors}` on 202, `{error}` or fastify's `{message}` otherwise). */
  body: { accepted?: number; rejected?: number; errors?: RecordError[]; error?: string; message?: string };
  /** What reached the broker, as rows of the metrics table. */
  rows: MetricRow[];
  letters: DeadLetter[];
}

/** A webhook server with its broker and dead-letter store. */
export interface Webhook {
  post(contentType: string, body: Buffer): Promise<WebhookOutcome>;
  close(): Promise<void>;
}

const TOPIC = defaultNames.metricsTopic;

/** Every envelope the broker holds on `topic`, consumed and acked by a fresh group (once per broker). */
export async function drainTopic(broker: MemoryBroker, topic: string): Promise<Envelope<Metric>[]> {
  const total = broker.retained(topic);
  if (total === 0) return [];
  return firstValueFrom(
    broker.consume<Metric>(topic, { group: 'corpus-check', fromBeginning: true }).pipe(
      concatMap(async (delivery) => {
        await delivery.ack();
        return delivery.envelopes;
      }),
      scan((all: Envelope<Metric>[], envelopes) => all.concat(envelopes), []),
      filter((all) => all.length >= total),
      timeout(5000),
    ),
  );
}

/** Starts the webhook (`bodyLimit` as the server takes it; default the server's own). */
export function startWebhook(bodyLimit?: number): Webhook {
  let open: { app: ReturnType<typeof buildServer>; broker: MemoryBroker; store: Store } | undefined;
  const close = async () => {
    if (!open) return;
    const { app, broker, store } = open;
    open = undefined;
    await app.close();
    await broker.close();
    await store.close();
  };
  return {
    async post(contentType, body) {
      // A fresh broker and store per request, so each outcome is that request's alone.
      await close();
      const broker = createMemoryBroker();
      const store = createSqliteStore({ filename: ':memory:' });
      const app = buildServer({ ingest: { broker, names: defaultNames, deadLetters: storeDeadLetters(store) }, ...(bodyLimit ? { bodyLimit } : {}) });
      open = { app, broker, store };
      const response = await within(20_000, `POST /ingest/metrics (${contentType})`, app.inject({ method: 'POST', url: '/ingest/metrics', headers: { 'content-type': contentType }, payload: body }));
      const envelopes = await drainTopic(broker, TOPIC);
      return {
        status: response.statusCode,
        body: JSON.parse(response.body) as WebhookOutcome['body'],
        rows: sortRows(envelopes.map((e) => kinds.metrics.toRow(e.value) as unknown as MetricRow)),
        letters: await store.readDeadLetters(),
      };
    },
    close,
  };
}
