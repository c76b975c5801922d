/**
 * The live side of one consumer group: its members, the dispatch loop that hands out deliveries, and
 * the visibility timers that give unacked entries back. Event-driven: it runs when something may have
 * changed (publish, join, ack, nack, timer expiry), never on a poll.
 */
import type { Subscriber } from 'rxjs';
import type { BrokerError } from '../errors.js';
import type { Delivery } from '../types.js';
import type { GroupState, Lease } from './group-state.js';
import type { TopicLog } from './topic-log.js';
import type { ResolvedConsumeOptions } from './validate.js';

/** Deliveries handed out in one turn before the loop yields to I/O (a consumer that acks synchronously). */
const DELIVERIES_PER_TURN = 64;

/** One subscription to the group. */
export interface Member {
  readonly options: ResolvedConsumeOptions;
  readonly subscriber: Subscriber<Delivery<unknown>>;
  /** Deliveries handed to this member and not yet acked or nacked by it. */
  inFlight: number;
}

/** What a group needs of its topic. */
export interface GroupHost {
  readonly name: string;
  readonly log: TopicLog;
  /** Called after an ack: the topic may drop entries every group has acked. */
  trim(): void;
  /** The error for a call made after the broker closed. */
  closedError(operation: string): BrokerError;
}

/** Members of one group on one topic and the loop that feeds them. */
export class ConsumerGroup {
  private readonly members: Member[] = [];
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();
  /** Index of the member the round robin tries first. */
  private turn = 0;
  private scheduled = false;
  private closed = false;

  constructor(
    private readonly host: GroupHost,
    readonly state: GroupState,
  ) {}

  /** Adds a subscription and lets it receive what is waiting. */
  join(member: Member): void {
    this.members.push(member);
    this.wake();
  }

  /** Removes a subscription; its unacked deliveries stay pending until their visibility timeout. */
  leave(member: Member): void {
    const index = this.members.indexOf(member);
    if (index >= 0) this.members.splice(index, 1);
  }

  /** Schedules a dispatch turn (at most one is pending at a time). */
  wake(): void {
    if (this.scheduled || this.closed) return;
    this.scheduled = true;
    queueMicrotask(() => this.dispatch());
  }

  /** Stops timers and fails every member's stream with `error`. */
  close(error: BrokerError): void {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const member of this.members.splice(0)) member.subscriber.error(error);
  }

  private dispatch(): void {
    this.scheduled = false;
    for (let handed = 0; handed < DELIVERIES_PER_TURN; handed++) {
      if (this.closed) return;
      const member = this.nextFreeMember();
      const lease = member && this.state.lease(member.options.batchSize, this.host.log.end);
      if (!member || !lease) return;
      this.handOut(member, lease);
    }
    this.scheduled = true;
    setImmediate(() => this.dispatch());
  }

  /** The next member, round robin, that holds fewer than `maxInFlight` deliveries. */
  private nextFreeMember(): Member | undefined {
    const count = this.members.length;
    for (let i = 0; i < count; i++) {
      const index = (this.turn + i) % count;
      const member = this.members[index]!;
      if (member.inFlight < member.options.maxInFlight) {
        this.turn = (index + 1) % count;
        return member;
      }
    }
    return undefined;
  }

  private handOut(member: Member, lease: Lease): void {
    member.inFlight++;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (this.state.release(lease.id, lease.offsets) > 0) this.wake();
    }, member.options.visibilityTimeoutMs);
    timer.unref?.();
    this.timers.add(timer);
    let settled = false;
    const settle = async (operation: 'ack' | 'nack'): Promise<void> => {
      if (this.closed) throw this.host.closedError(operation);
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      this.timers.delete(timer);
      member.inFlight--;
      if (operation === 'ack') {
        this.state.ack(lease.offsets);
        this.host.trim();
      } else {
        this.state.release(lease.id, lease.offsets);
      }
      this.wake();
    };
    member.subscriber.next({
      topic: this.host.name,
      envelopes: lease.offsets.map((offset) => this.host.log.at(offset)),
      attempt: lease.attempt,
      ack: () => settle('ack'),
      nack: () => settle('nack'),
    });
  }
}
