/**
 * The append-only log of one in-memory topic. Offsets grow from 0 and are never reused; the front is
 * trimmed once every group has acked it, so a long run does not grow memory without bound.
 */
import type { Envelope } from '../types.js';

/** Trimmed slots are dropped from the backing array once they are this many and at least half of it. */
const COMPACT_AT = 1024;

/** An append-only, front-trimmable sequence of envelopes addressed by offset. */
export class TopicLog {
  private entries: Envelope[] = [];
  /** Index in `entries` of the oldest retained envelope. */
  private head = 0;
  /** Offset of `entries[0]`. */
  private base = 0;

  /** Offset of the oldest retained envelope. */
  get start(): number {
    return this.base + this.head;
  }

  /** Offset the next appended envelope gets. */
  get end(): number {
    return this.base + this.entries.length;
  }

  /** How many envelopes the log holds. */
  get retained(): number {
    return this.end - this.start;
  }

  /** Appends envelopes in order. */
  append(envelopes: readonly Envelope[]): void {
    for (const envelope of envelopes) this.entries.push(envelope);
  }

  /** The envelope at a retained offset. */
  at(offset: number): Envelope {
    const envelope = offset >= this.start ? this.entries[offset - this.base] : undefined;
    if (!envelope) throw new RangeError(`offset ${offset} is outside the retained log [${this.start}, ${this.end})`);
    return envelope;
  }

  /** Drops every envelope below `offset` (no-op for offsets already trimmed). */
  trimBelow(offset: number): void {
    const head = Math.min(offset, this.end) - this.base;
    if (head <= this.head) return;
    this.head = head;
    if (this.head >= COMPACT_AT && this.head * 2 >= this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.base += this.head;
      this.head = 0;
    }
  }
}
