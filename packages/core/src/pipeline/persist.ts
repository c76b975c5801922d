/** persist: Broker → Store, acking each delivery only after the store committed it. */
import { Observable, merge } from 'rxjs';
import type { ZodType } from 'zod';
import { describeError } from '../errors.js';
import { retry } from '../retry.js';
import { formatIssues } from '../schemas/validate.js';
import type { Broker, DeadLetter, Delivery, Envelope, PipelineRun, Row, Store, WriteBatch, WriteMode } from '../types.js';
import { consumeUntilStopped } from './consume-until-stopped.js';
import { deadLetter } from './dead-letters.js';
import { batching, retrying, type PipelineOptions } from './options.js';
import { startRun } from './run.js';
import { StatusReporter } from './status.js';
import { writeIsolating } from './write-isolating.js';

/** Where `persist` consumes from, how it turns envelopes into rows, and where it writes them. */
export interface PersistOptions<T> extends Omit<PipelineOptions, 'batchMs' | 'maxBuffered'> {
  broker: Broker;
  topic: string;
  /** Consumer group; processes in one group share the topic. */
  group: string;
  /** This member's name (default: random). */
  consumer?: string;
  store: Store;
  table: string;
  /** Validates (and may transform) each envelope value; failures go to the dead letters. */
  schema?: ZodType<T>;
  /** Maps a valid value to a row of `table`. */
  toRow: (value: T, envelope: Envelope<unknown>) => Row;
  /** Write mode (default: the table's). */
  mode?: WriteMode;
  /** Unacked deliveries held at most (default 2): fetch overlaps the write, memory stays bounded. */
  maxInFlight?: number;
  /** Redelivery timeout for deliveries a crashed member left unacked (broker default if unset). */
  visibilityTimeoutMs?: number;
  /** End the run once no delivery came for this long and the group's lag is 0 (default: run until stopped). */
  idleStopMs?: number;
  /** How often to report the group's lag as a status event (default 2000 ms). */
  lagIntervalMs?: number;
}

/** A delivery and the store write it became. */
interface PreparedDelivery {
  delivery: Delivery<unknown>;
  batch: WriteBatch;
}

/**
 * Consumes a topic in a group and writes each delivery to the store in one transaction with its
 * dead letters, then acks. Nothing is acked before the store committed it (at-least-once); a
 * crash between commit and ack redelivers the batch, and the store's upsert on the natural key
 * makes the rewrite harmless. Deliveries are handled in order, one at a time, which keeps each
 * key's order; scale out with more members of the group. `read = persisted + rejected`.
 */
export function persist<T>(options: PersistOptions<T>): PipelineRun {
  const { broker, topic, group, store, table } = options;
  const reporter = new StatusReporter(options.name ?? `persist:${topic}→${table}`);
  const { batchSize } = batching(options);
  const retryOptions = retrying(options, reporter);
  let lastActivity = Date.now();

  const toRows = (envelopes: readonly Envelope<unknown>[]): { rows: Row[]; letters: DeadLetter[] } => {
    const rows: Row[] = [];
    const letters: DeadLetter[] = [];
    for (const envelope of envelopes) {
      const parsed = options.schema ? options.schema.safeParse(envelope.value) : { success: true as const, data: envelope.value as T };
      if (!parsed.success) {
        letters.push(deadLetter(topic, `invalid record: ${formatIssues(parsed.error).join('; ')}`, envelope.value, { key: envelope.key }));
        continue;
      }
      try {
        rows.push(options.toRow(parsed.data, envelope));
      } catch (error) {
        letters.push(deadLetter(topic, `could not map to a row: ${describeError(error)}`, envelope.value, { key: envelope.key }));
      }
    }
    return { rows, letters };
  };

  /** The store write of a delivery, mapped and (where the store can) encoded as it arrives. */
  const prepare = (delivery: Delivery<unknown>): PreparedDelivery => {
    const { rows, letters } = toRows(delivery.envelopes);
    const batch: WriteBatch = { table, rows, deadLetters: letters, ...(options.mode ? { mode: options.mode } : {}) };
    store.prepare?.(batch);
    return { delivery, batch };
  };

  const handle = async ({ delivery, batch }: PreparedDelivery): Promise<void> => {
    lastActivity = Date.now();
    reporter.read(delivery.envelopes.length);
    const written = await writeIsolating(store, batch, topic, retryOptions);
    await retry(() => delivery.ack(), { ...retryOptions, operation: `ack on ${topic}` });
    reporter.persisted(written.persisted);
    reporter.rejected(written.letters);
    lastActivity = Date.now();
  };

  return startRun(
    reporter,
    (stop$) => {
      const deliveries$ = broker.consume<unknown>(topic, {
        group,
        batchSize,
        maxInFlight: options.maxInFlight ?? 2,
        ...(options.consumer ? { consumer: options.consumer } : {}),
        ...(options.visibilityTimeoutMs ? { visibilityTimeoutMs: options.visibilityTimeoutMs } : {}),
      });
      const idleStop$ = new Observable<void>((subscriber) => {
        let checking = false;
        const timer = setInterval(() => {
          if (checking) return;
          checking = true;
          broker
            .lag(topic, group)
            .then((info) => {
              reporter.emit({ type: 'lag', topic, group, lag: info.lag });
              const idle = options.idleStopMs !== undefined && Date.now() - lastActivity >= options.idleStopMs;
              if (idle && info.lag === 0) subscriber.next();
            })
            .catch((error: unknown) => reporter.emit({ type: 'retry', operation: `lag of ${topic}`, attempt: 1, delayMs: 0, error: describeError(error) }))
            .finally(() => (checking = false));
        }, Math.min(options.lagIntervalMs ?? 2000, options.idleStopMs ?? Infinity));
        return () => clearInterval(timer);
      });
      return consumeUntilStopped(deliveries$, merge(stop$, idleStop$), handle, prepare);
    },
    options,
  );
}
