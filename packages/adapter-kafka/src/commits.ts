/**
 * The offset book of one consumer session: the runs of offsets handed out, which are acked, and
 * what to commit — one commit at a time, so a group's offset never moves backwards.
 */
import { ackRun, recordRun, rewindTo, type PartitionLedger } from './offsets.js';

/**
 * The envelopes of one partition in one delivery, as positions (see positions.ts; for unpacked
 * records a position stands for one record).
 */
export interface Run {
  partition: number;
  first: bigint;
  last: bigint;
}

/** Sends one commit per partition of the position one past the last stored envelope. */
export type CommitFn = (offsets: ReadonlyMap<number, bigint>) => Promise<void>;

/** Ledgers of one generation of the group, and the commits they call for. */
export class OffsetBook {
  private readonly ledgers = new Map<number, PartitionLedger>();
  /** Positions acked and not yet committed, by partition. */
  private readonly targets = new Map<number, bigint>();
  private chain: Promise<void> = Promise.resolve();

  /** Records the runs of delivery `id`, which follow every run recorded before in their partitions. */
  handOut(id: number, runs: readonly Run[]): void {
    for (const run of runs) this.ledgers.set(run.partition, recordRun(this.ledger(run.partition), id, run.first, run.last));
  }

  /** Marks delivery `id` acked; the partitions whose acked prefix grew get a commit target. */
  ack(id: number, runs: readonly Run[]): void {
    for (const { partition } of runs) {
      const { ledger, commit } = ackRun(this.ledger(partition), id);
      this.ledgers.set(partition, ledger);
      const target = this.targets.get(partition);
      if (commit !== undefined && (target === undefined || commit > target)) this.targets.set(partition, commit);
    }
  }

  /** Forgets, per run, every run of its partition from its first position on (they will be read again). */
  rewind(runs: readonly Pick<Run, 'partition' | 'first'>[]): void {
    for (const { partition, first } of runs) this.ledgers.set(partition, rewindTo(this.ledger(partition), first).ledger);
  }

  /** Forgets everything: a new generation of the group reads on from the committed offsets. */
  reset(): void {
    this.ledgers.clear();
    this.targets.clear();
  }

  /**
   * Commits the pending targets with `commit`, after the commits under way. When `commit` throws,
   * its targets stay pending for the next flush (unless newer ones came meanwhile).
   */
  flush(commit: CommitFn): Promise<void> {
    const next = this.chain.catch(() => undefined).then(async () => {
      if (this.targets.size === 0) return;
      const offsets = new Map(this.targets);
      this.targets.clear();
      try {
        await commit(offsets);
      } catch (error) {
        for (const [partition, offset] of offsets) {
          const newer = this.targets.get(partition);
          if (newer === undefined || newer < offset) this.targets.set(partition, offset);
        }
        throw error;
      }
    });
    this.chain = next;
    return next;
  }

  /** Resolves once the commits under way have finished (landed or failed). */
  idle(): Promise<void> {
    return this.chain.catch(() => undefined);
  }

  private ledger(partition: number): PartitionLedger {
    return this.ledgers.get(partition) ?? [];
  }
}
