/** ingest: Source → Broker, with validation, dead letters and an optional resumable cursor. */
import { defer, switchMap } from 'rxjs';
import type { ZodType } from 'zod';
import { describeError } from '../errors.js';
import { retry } from '../retry.js';
import type { Broker, DeadLetterSink, Envelope, Headers, PipelineRun, Position, Source, Store } from '../types.js';
import { deadLetter, topicDeadLetters } from './dead-letters.js';
import { FlowGate } from './flow-gate.js';
import { batching, retrying, type PipelineOptions } from './options.js';
import { PublishAhead, type AheadBatch } from './publish-ahead.js';
import { processBatches, type SourceBatch } from './read-batches.js';
import { startRun } from './run.js';
import { StatusReporter } from './status.js';

/** What `ingest` reads, how it validates and keys records, and where it publishes them. */
export interface IngestOptions<T> extends PipelineOptions {
  source: Source<unknown>;
  broker: Broker;
  topic: string;
  /** Validates (and may transform) each record; failures go to the dead letters. */
  schema?: ZodType<T>;
  /** The envelope key: the record's natural identity. */
  key: (value: T) => string;
  /** The envelope timestamp (default: now). */
  timestamp?: (value: T) => number;
  /** Extra headers (the source name is always set as `source`). */
  headers?: (value: T) => Headers;
  /** Where rejects go (default: the topic `<topic>.dead-letters` on the same broker). */
  deadLetters?: DeadLetterSink;
  /**
   * Incremental mode: the source position is saved in this store after each published batch, and
   * a new run resumes after the saved position, so only what is new is published.
   */
  checkpoints?: Store;
  /** Checkpoint stream name (default: the source name). */
  stream?: string;
  /** Start after this position (overrides a saved checkpoint). */
  from?: Position;
  /**
   * Publishes running at once (default 2): batch k + 1 is sent while batch k waits for the broker's
   * confirm. Outcomes are taken in order, and per-key order holds across retries (see `PublishAhead`).
   */
  maxInFlight?: number;
}

/** A batch and its envelopes, whose publish may have started. */
interface StartedBatch<T> {
  batch: SourceBatch<T>;
  publishing: AheadBatch<Envelope<T>> | undefined;
}

/**
 * Publishes a source's records to a broker topic. A batch's publish starts as soon as the batch
 * closes (`maxInFlight` at a time); batches complete in order, each published (durably accepted)
 * before its dead letters and then its checkpoint are written, so a crash can re-publish a batch
 * (at-least-once; stores upsert on the key) but never skip one. `read = published + rejected`.
 */
export function ingest<T>(options: IngestOptions<T>): PipelineRun {
  const { source, broker, topic } = options;
  const reporter = new StatusReporter(options.name ?? `ingest:${source.name}→${topic}`);
  const { batchSize, batchMs, maxBuffered } = batching(options);
  const retryOptions = retrying(options, reporter);
  const sink = options.deadLetters ?? topicDeadLetters(broker, `${topic}.dead-letters`);
  const stream = options.stream ?? source.name;
  const gate = new FlowGate(maxBuffered);

  const toEnvelopes = (batch: SourceBatch<T>): Envelope<T>[] => {
    const envelopes: Envelope<T>[] = [];
    for (const { value, position } of batch.accepted) {
      try {
        envelopes.push({
          key: options.key(value),
          value,
          timestamp: options.timestamp ? options.timestamp(value) : Date.now(),
          headers: { ...options.headers?.(value), source: source.name },
        });
      } catch (error) {
        batch.letters.push(deadLetter(source.name, `could not build the envelope: ${describeError(error)}`, value, { position }));
      }
    }
    return envelopes;
  };

  const ahead = new PublishAhead<Envelope<T>>(options.maxInFlight ?? 2, (envelopes) => broker.publish(topic, envelopes));
  const startBatch = (batch: SourceBatch<T>): StartedBatch<T> => {
    const envelopes = toEnvelopes(batch);
    return { batch, publishing: envelopes.length > 0 ? ahead.start(envelopes) : undefined };
  };

  const publishBatch = async ({ batch, publishing }: StartedBatch<T>): Promise<void> => {
    reporter.read(batch.size, batch.last);
    if (publishing) await ahead.finish(publishing, { ...retryOptions, operation: `publish to ${topic}` });
    reporter.published(publishing?.envelopes.length ?? 0);
    if (batch.letters.length > 0) await retry(() => sink.write(batch.letters), { ...retryOptions, operation: `dead letters to ${sink.name}` });
    reporter.rejected(batch.letters);
    const { checkpoints } = options;
    if (checkpoints && batch.last) {
      const checkpoint = { stream, position: batch.last };
      await retry(() => checkpoints.write({ rows: [], checkpoint }), { ...retryOptions, operation: `checkpoint ${stream}` });
    }
    reporter.position = batch.last ?? reporter.position;
    gate.release(batch.size);
  };

  return startRun(
    reporter,
    (stop$) =>
      defer(async () => options.from ?? (await options.checkpoints?.readCheckpoint(stream))).pipe(
        switchMap((start) => processBatches<T, StartedBatch<T>>(
          source,
          { ...(start ? { from: start } : {}), schema: options.schema, batchSize, batchMs, gate, stop$, prepare: startBatch },
          publishBatch,
        )),
      ),
    options,
  );
}
