/**
 * The bookkeeping of one consumer group on one topic: its cursor, the entries handed out and not yet
 * acked, and those waiting for redelivery. Pure data, no timers or I/O: the dispatcher drives it.
 */

/** One hand-out of entries to a consumer. */
export interface Lease {
  /** Unique within the group; a release only returns entries this lease still holds. */
  readonly id: number;
  /** Offsets handed out, ascending. */
  readonly offsets: readonly number[];
  /** How many times the oldest entry has been handed out, this time included. */
  readonly attempt: number;
}

/** Cursor, pending entries and redelivery queue of a group. */
export class GroupState {
  private nextLeaseId = 1;
  /** Offsets handed out and not acked → the lease holding them (absent while queued for redelivery). */
  private readonly holders = new Map<number, number>();
  /** Offsets handed out at least once and not acked → how many times they were handed out. */
  private readonly attempts = new Map<number, number>();
  /** Offsets waiting for redelivery, ascending; an offset counts only while in `redeliverable`. */
  private queue: number[] = [];
  private readonly redeliverable = new Set<number>();

  /** @param cursor the first offset never handed out to this group. */
  constructor(private cursor: number) {}

  /** Leases up to `max` entries: entries waiting for redelivery first, else new ones below `end`. */
  lease(max: number, end: number): Lease | undefined {
    const offsets = this.takeRedeliveries(max);
    if (offsets.length === 0) {
      const stop = Math.min(end, this.cursor + max);
      while (this.cursor < stop) offsets.push(this.cursor++);
    }
    const oldest = offsets[0];
    if (oldest === undefined) return undefined;
    const id = this.nextLeaseId++;
    for (const offset of offsets) {
      this.holders.set(offset, id);
      this.attempts.set(offset, (this.attempts.get(offset) ?? 0) + 1);
    }
    return { id, offsets, attempt: this.attempts.get(oldest)! };
  }

  /** Marks entries done for the group, whoever holds them now; returns how many were still unacked. */
  ack(offsets: readonly number[]): number {
    let acked = 0;
    for (const offset of offsets) {
      if (!this.attempts.delete(offset)) continue;
      this.holders.delete(offset);
      this.redeliverable.delete(offset);
      acked++;
    }
    return acked;
  }

  /** Queues for redelivery the entries that lease `id` still holds; returns how many. */
  release(id: number, offsets: readonly number[]): number {
    const returned = offsets.filter((offset) => this.holders.get(offset) === id);
    for (const offset of returned) {
      this.holders.delete(offset);
      this.redeliverable.add(offset);
    }
    if (returned.length > 0) this.queue = mergeAscending(this.queue, returned);
    return returned.length;
  }

  /** Entries below `end` the group has not acked: not yet handed out, pending, or queued. */
  lag(end: number): number {
    return Math.max(0, end - this.cursor) + this.attempts.size;
  }

  /** The oldest offset the group still needs; everything below it is acked. */
  lowWatermark(): number {
    let low = this.cursor;
    for (const offset of this.attempts.keys()) if (offset < low) low = offset;
    return low;
  }

  private takeRedeliveries(max: number): number[] {
    const taken: number[] = [];
    let scanned = 0;
    while (scanned < this.queue.length && taken.length < max) {
      const offset = this.queue[scanned++]!;
      if (this.redeliverable.delete(offset)) taken.push(offset);
    }
    if (scanned > 0) this.queue.splice(0, scanned);
    return taken;
  }
}

/** Merges two ascending arrays into one. */
function mergeAscending(a: readonly number[], b: readonly number[]): number[] {
  const merged: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (j >= b.length || (i < a.length && a[i]! <= b[j]!)) merged.push(a[i++]!);
    else merged.push(b[j++]!);
  }
  return merged;
}
