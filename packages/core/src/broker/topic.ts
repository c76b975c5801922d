/**
 * One in-memory topic: its log and its consumer groups. Trims the log below what every group has
 * acked, once at least one group exists (a topic nobody consumes yet keeps everything).
 */
import type { BrokerError } from '../errors.js';
import { ConsumerGroup, type GroupHost } from './consumer-group.js';
import { GroupState } from './group-state.js';
import { TopicLog } from './topic-log.js';

/** A topic's log plus its groups. */
export class Topic implements GroupHost {
  readonly log = new TopicLog();
  private readonly groups = new Map<string, ConsumerGroup>();
  /** Publishers waiting for the backlog to shrink. */
  private roomWaiters: (() => void)[] = [];

  constructor(
    readonly name: string,
    readonly closedError: (operation: string) => BrokerError,
  ) {}

  /** The group named `name`, created at the oldest retained entry (or at the end) on first use. */
  group(name: string, fromBeginning: boolean): ConsumerGroup {
    let group = this.groups.get(name);
    if (!group) {
      group = new ConsumerGroup(this, new GroupState(fromBeginning ? this.log.start : this.log.end));
      this.groups.set(name, group);
    }
    return group;
  }

  /** Entries the group has not acked; for a group that does not exist yet, everything retained. */
  lag(name: string): number {
    return this.groups.get(name)?.state.lag(this.log.end) ?? this.log.retained;
  }

  /** Wakes every group after an append. */
  wakeAll(): void {
    for (const group of this.groups.values()) group.wake();
  }

  trim(): void {
    if (this.groups.size === 0) return;
    let low = Number.POSITIVE_INFINITY;
    for (const group of this.groups.values()) low = Math.min(low, group.state.lowWatermark());
    this.log.trimBelow(low);
    if (this.roomWaiters.length > 0) this.releaseRoomWaiters();
  }

  /**
   * Resolves once the topic retains fewer than `maxRetained` entries — at once when it does, or
   * when no group consumes it (nothing would ever be trimmed, so waiting could only deadlock a
   * program that publishes before it consumes). This is the publisher side of backpressure.
   */
  async waitForRoom(maxRetained: number): Promise<void> {
    while (this.groups.size > 0 && this.log.retained >= maxRetained) {
      await new Promise<void>((resolve) => this.roomWaiters.push(resolve));
    }
  }

  private releaseRoomWaiters(): void {
    const waiters = this.roomWaiters;
    this.roomWaiters = [];
    for (const resolve of waiters) resolve();
  }

  /** Closes every group with `error` and lets waiting publishers go (they then see the closed broker). */
  close(error: BrokerError): void {
    for (const group of this.groups.values()) group.close(error);
    this.releaseRoomWaiters();
  }
}
