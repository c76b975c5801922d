/**
 * One webhook request's records on their way out: valid ones published to the broker in batches,
 * refused ones dead-lettered (exact bytes) in bounded chunks, and the answer's counts and first
 * errors. Past `maxRejects` refused records the request stops: the client gets a 422 naming the
 * cap, never an answer or a dead-letter transaction that grows with the body.
 */
import { deadLetter, formatIssues, retry, type Broker, type DeadLetter, type DeadLetterSink, type Envelope } from '@sluice/core';
import { kinds, qualified, topicOf, type Kind, type Names } from '../tables.js';
import type { BodyItem } from './ingest-parser.js';

/** One invalid record as the answer names it. */
export interface RecordError {
  index: number;
  /** 1-based line, for NDJSON bodies. */
  line?: number;
  reason: string;
}

/** Limits of one request. */
export interface SessionLimits {
  /** Most refused records in one request; one more stops it with 422 (default 1000). */
  maxRejects: number;
  /** Most errors listed in an answer; the rest are counted (default 100). */
  listedErrors: number;
  /** Envelopes per publish (default 500). */
  publishBatch: number;
  /** Dead letters per write, and their payload bytes (default 100 and 1 MiB). */
  letterBatch: number;
  letterBytes: number;
}

export const defaultSessionLimits: SessionLimits = { maxRejects: 1000, listedErrors: 100, publishBatch: 500, letterBatch: 100, letterBytes: 1 << 20 };

const policy = { policy: { maxAttempts: 4 } };

/** Validates, publishes and dead-letters the records of one request. */
export class IngestSession {
  accepted = 0;
  rejected = 0;
  readonly errors: RecordError[] = [];
  /** Set once more than `maxRejects` records were refused: the index of the first record not handled. */
  cappedAt: number | undefined;
  /** Dead letters are held back (and never written if the body turns out not to be records at all). */
  holding = false;
  /** Reason of the first refused record, for a body refused as a whole. */
  firstReason: string | undefined;

  private envelopes: Envelope<unknown>[] = [];
  private letters: DeadLetter[] = [];
  private letterBytes = 0;
  private readonly topic: string;
  private readonly origin: string;

  constructor(
    private readonly kind: Kind,
    names: Names,
    private readonly broker: Broker,
    private readonly sink: DeadLetterSink,
    private readonly limits: SessionLimits,
  ) {
    this.topic = topicOf(kind, names);
    this.origin = qualified(names, `webhook:${kind}`);
  }

  /** Takes a chunk's records; publishes and writes whenever a batch is full. */
  async take(items: readonly BodyItem[]): Promise<void> {
    const spec = kinds[this.kind];
    for (const item of items) {
      if (this.cappedAt !== undefined) return;
      let reason = item.reason;
      if (reason === undefined) {
        const result = spec.schema.safeParse(item.value);
        if (result.success) {
          const record = result.data as never;
          this.envelopes.push({ key: spec.key(record), value: result.data, timestamp: spec.time(record), headers: { source: this.origin } });
          this.accepted++;
          this.holding = false;
          if (this.envelopes.length >= this.limits.publishBatch) await this.publish();
          continue;
        }
        reason = `invalid record: ${formatIssues(result.error).join('; ')}`;
        this.holding = false; // a JSON record: the body is records, its letters can go
      } else if (item.notUtf8) {
        this.holding = false;
      }
      if (this.rejected >= this.limits.maxRejects) {
        this.cappedAt = item.index;
        return;
      }
      this.refuse(item, reason);
      if (!this.holding && (this.letters.length >= this.limits.letterBatch || this.letterBytes >= this.limits.letterBytes)) await this.writeLetters();
    }
  }

  /** Publishes and writes what is left. */
  async finish(): Promise<void> {
    await this.publish();
    await this.writeLetters();
  }

  /** Drops the held dead letters (the body was refused as a whole). */
  discardHeld(): void {
    this.letters = [];
    this.letterBytes = 0;
  }

  /** The answer's counts and errors: the first `listedErrors`, and how many more there were. */
  summary(): { accepted: number; rejected: number; errors: RecordError[]; unlistedErrors?: number } {
    const unlisted = this.rejected - this.errors.length;
    return { accepted: this.accepted, rejected: this.rejected, errors: this.errors, ...(unlisted > 0 ? { unlistedErrors: unlisted } : {}) };
  }

  private refuse(item: BodyItem, reason: string): void {
    this.rejected++;
    this.firstReason ??= reason;
    if (this.errors.length < this.limits.listedErrors) this.errors.push({ index: item.index, ...(item.line !== undefined ? { line: item.line } : {}), reason });
    const letter = deadLetter(this.origin, reason, item.window.subarray(item.start, item.end), { position: { index: item.index, ...(item.line !== undefined ? { line: item.line } : {}) } });
    this.letters.push(letter);
    this.letterBytes += letter.payload.length;
  }

  private async publish(): Promise<void> {
    if (this.envelopes.length === 0) return;
    const batch = this.envelopes;
    this.envelopes = [];
    await retry(() => this.broker.publish(this.topic, batch), { operation: `publish to ${this.topic}`, ...policy });
  }

  private async writeLetters(): Promise<void> {
    if (this.holding || this.letters.length === 0) return;
    // Bounded writes: a chunk of letters, or fewer when their payloads are large.
    while (this.letters.length > 0) {
      let take = 0;
      let bytes = 0;
      while (take < this.letters.length && take < this.limits.letterBatch && (take === 0 || bytes + this.letters[take]!.payload.length <= this.limits.letterBytes)) {
        bytes += this.letters[take]!.payload.length;
        take++;
      }
      const chunk = this.letters.splice(0, take);
      this.letterBytes -= bytes;
      await retry(() => this.sink.write(chunk), { operation: 'write dead letters', ...policy });
    }
  }
}
