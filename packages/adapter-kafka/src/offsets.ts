/**
 * Offset arithmetic of the Kafka broker. Pure: no I/O.
 *
 * A partition's ledger lists the runs of offsets handed out in deliveries and not yet committed,
 * in fetch order. Deliveries may be acked in any order, but the group's committed offset may only
 * move past a run when every run before it is acked too: the commit is one past the last offset
 * of the longest acked prefix. Committing further would skip envelopes nobody has stored yet.
 */

/** One delivery's run of offsets in one partition. */
export interface LedgerEntry {
  /** The delivery's id. */
  readonly id: number;
  /** Offset of the run's first record. */
  readonly first: bigint;
  /** Offset of the run's last record. */
  readonly last: bigint;
  readonly acked: boolean;
}

/** The uncommitted runs of one partition, oldest first. */
export type PartitionLedger = readonly LedgerEntry[];

/** What an ack changed. */
export interface AckOutcome {
  ledger: PartitionLedger;
  /** The offset to commit now (one past the acked prefix), or `undefined` when the prefix did not grow. */
  commit: bigint | undefined;
}

/**
 * Appends the run `[first, last]` of delivery `id`. Runs come in fetch order, so `first` must lie
 * past the last recorded run; anything else is a bug of the caller and throws.
 */
export function recordRun(ledger: PartitionLedger, id: number, first: bigint, last: bigint): PartitionLedger {
  const previous = ledger[ledger.length - 1];
  if (last < first || (previous !== undefined && first <= previous.last)) {
    throw new RangeError(`offset run ${first}..${last} of delivery ${id} does not follow ${previous?.first}..${previous?.last}`);
  }
  return [...ledger, { id, first, last, acked: false }];
}

/**
 * Marks the run of delivery `id` acked and drops the acked prefix. An id the ledger does not hold
 * (already committed, or dropped by a rewind) changes nothing.
 */
export function ackRun(ledger: PartitionLedger, id: number): AckOutcome {
  if (!ledger.some((entry) => entry.id === id && !entry.acked)) return { ledger, commit: undefined };
  const marked = ledger.map((entry) => (entry.id === id ? { ...entry, acked: true } : entry));
  const pending = marked.findIndex((entry) => !entry.acked);
  const prefix = pending === -1 ? marked.length : pending;
  if (prefix === 0) return { ledger: marked, commit: undefined };
  return { ledger: marked.slice(prefix), commit: marked[prefix - 1]!.last + 1n };
}

/**
 * Forgets every run that starts at or after `offset` (the partition is read again from there, after
 * a nack). Returns the ids of the dropped runs: acking them later commits nothing.
 */
export function rewindTo(ledger: PartitionLedger, offset: bigint): { ledger: PartitionLedger; dropped: number[] } {
  const kept = ledger.filter((entry) => entry.first < offset);
  const dropped = ledger.filter((entry) => entry.first >= offset).map((entry) => entry.id);
  return { ledger: kept, dropped };
}

/** Watermarks of one partition as the admin client reports them (offsets as decimal strings). */
export interface PartitionWatermarks {
  partition: number;
  /** Offset of the next record to be written. */
  high: string;
  /** Offset of the oldest retained record. */
  low: string;
}

/** A group's committed offset of one partition; negative (`-1`) when the group has none. */
export interface CommittedOffset {
  partition: number;
  offset: string;
}

/**
 * The records a group has not committed yet, summed over the partitions: high watermark minus the
 * committed offset, or minus the low watermark where the group has committed nothing (a new group
 * starts at the oldest retained record). Never negative per partition.
 */
export function groupLag(watermarks: readonly PartitionWatermarks[], committed: readonly CommittedOffset[]): number {
  const byPartition = new Map(committed.map((entry) => [entry.partition, BigInt(entry.offset)]));
  let lag = 0n;
  for (const { partition, high, low } of watermarks) {
    const done = byPartition.get(partition);
    const from = done !== undefined && done >= 0n ? done : BigInt(low);
    const behind = BigInt(high) - from;
    if (behind > 0n) lag += behind;
  }
  return Number(lag);
}
