/**
 * The bookkeeping of a consumer channel's unacked messages: which envelopes of each message have been
 * handed out in which delivery, and which messages an ack or nack of a delivery settles. Pure: no I/O;
 * the session sends the acks and nacks it is told to.
 *
 * A message holds one envelope, or many when it is packed (see packed.ts). A delivery takes up to
 * `batchSize` envelopes from the oldest messages on, so it may hold part of a pack and a pack may span
 * deliveries. A message is acked once every one of its envelopes has been handed out and every
 * delivery holding some of them is acked; a nack of any of those deliveries requeues the whole message
 * (its envelopes already acked in other deliveries come again: at-least-once).
 *
 * RabbitMQ's `multiple` flag settles every unacked message of the channel up to a delivery tag. It is
 * used only when no unsettled message of the channel has a smaller tag than the last one settled;
 * otherwise each message is settled on its own.
 */
import type { Envelope } from '@sluice/core';

/** One unacked message of the channel. */
export interface HeldMessage<M> {
  readonly message: M;
  /** Its delivery tag on the channel. */
  readonly tag: number;
  /** How often RabbitMQ had handed it out before (its `x-delivery-count`). */
  readonly deliveryCount: number;
  /** Its envelopes; emptied once all are handed out (the deliveries hold them then). */
  envelopes: Envelope<unknown>[];
  readonly total: number;
  /** How many of its envelopes are handed out (the index of the next one). */
  next: number;
  /** Envelopes handed out and not yet acked. */
  open: number;
  state: 'held' | 'acked' | 'nacked';
}

/** The envelopes of one delivery and the messages they came from. */
export interface Slice<M> {
  envelopes: Envelope<unknown>[];
  /** The messages the envelopes came from, oldest first, and how many envelopes of each. */
  pieces: HeldMessage<M>[];
  counts: number[];
}

/** What to send for an ack or nack: one `multiple` settle up to `messages`' last, or each on its own. */
export interface Settlement<M> {
  messages: M[];
  multiple: boolean;
}

/** The unacked messages of one channel, in delivery-tag order. */
export class HeldMessages<M> {
  /** Every unsettled message, in tag order (a Set keeps insertion order). */
  private readonly unsettled = new Set<HeldMessage<M>>();
  /** Messages with envelopes not yet handed out, oldest first, from `head` on. */
  private queue: HeldMessage<M>[] = [];
  private head = 0;
  private waiting = 0;

  /** Envelopes received and not yet handed out. */
  get buffered(): number {
    return this.waiting;
  }

  /** Messages received and not yet settled. */
  get size(): number {
    return this.unsettled.size;
  }

  /** Records a message RabbitMQ pushed (tags must grow). */
  add(message: M, tag: number, envelopes: Envelope<unknown>[], deliveryCount: number): void {
    const held: HeldMessage<M> = { message, tag, deliveryCount, envelopes, total: envelopes.length, next: 0, open: 0, state: 'held' };
    this.unsettled.add(held);
    if (held.total > 0) {
      this.queue.push(held);
      this.waiting += held.total;
    }
  }

  /** Hands out up to `max` envelopes, oldest first. */
  take(max: number): Slice<M> {
    const slice: Slice<M> = { envelopes: [], pieces: [], counts: [] };
    while (slice.envelopes.length < max && this.head < this.queue.length) {
      const held = this.queue[this.head]!;
      const count = Math.min(held.total - held.next, max - slice.envelopes.length);
      if (held.total === 1 && count === 1) slice.envelopes.push(held.envelopes[0]!);
      else for (let index = held.next; index < held.next + count; index++) slice.envelopes.push(held.envelopes[index]!);
      held.next += count;
      held.open += count;
      slice.pieces.push(held);
      slice.counts.push(count);
      if (held.next === held.total) {
        held.envelopes = [];
        this.head++;
      }
    }
    this.waiting -= slice.envelopes.length;
    this.compact();
    return slice;
  }

  /** The messages an ack of `slice` completes: those whose every envelope is now handed out and acked. */
  ack(slice: Slice<M>): Settlement<M> {
    const done: HeldMessage<M>[] = [];
    slice.pieces.forEach((held, index) => {
      held.open -= slice.counts[index]!;
      if (held.state === 'held' && held.open === 0 && held.next === held.total) done.push(held);
    });
    return this.settle(done, 'acked');
  }

  /** The messages a nack of `slice` requeues: every one it holds envelopes of (not handed out: dropped). */
  nack(slice: Slice<M>): Settlement<M> {
    const requeued: HeldMessage<M>[] = [];
    for (const held of slice.pieces) {
      if (held.state !== 'held' || requeued.includes(held)) continue;
      this.waiting -= held.total - held.next;
      held.next = held.total;
      held.envelopes = [];
      requeued.push(held);
    }
    // A requeued message may still sit in the queue (partly handed out): skip it there.
    while (this.head < this.queue.length && this.queue[this.head]!.next === this.queue[this.head]!.total) this.head++;
    this.compact();
    return this.settle(requeued, 'nacked');
  }

  /** Forgets everything (the channel is gone, RabbitMQ requeues it all); returns how many messages were held. */
  clear(): number {
    const count = this.unsettled.size;
    this.unsettled.clear();
    this.queue = [];
    this.head = 0;
    this.waiting = 0;
    return count;
  }

  private settle(list: HeldMessage<M>[], state: 'acked' | 'nacked'): Settlement<M> {
    // `list` is in tag order: slices hold their pieces oldest first.
    if (list.length === 0) return { messages: [], multiple: false };
    for (const held of list) {
      held.state = state;
      this.unsettled.delete(held);
    }
    const last = list[list.length - 1]!;
    const oldest = this.unsettled.values().next();
    const multiple = oldest.done === true || oldest.value.tag > last.tag;
    return { messages: list.map((held) => held.message), multiple };
  }

  /**
   * Drops handed-out messages from the front of the queue once they are half of it (amortised O(1)
   * a message): the queue must not keep a pack's body alive after it is handed out and acked.
   */
  private compact(): void {
    if (this.head > 0 && this.head * 2 >= this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }
}
