/**
 * One `consume()` subscription: a channel of its own on the broker's consuming connection, one AMQP
 * consumer on the group's quorum queue, and the batching of what RabbitMQ pushes into deliveries.
 *
 * - Prefetch is about `batchSize × maxInFlight` envelopes: that many messages of one envelope each,
 *   or a few packed messages (prefetch.ts). RabbitMQ pushes no more than that unacked, so a slow
 *   pipeline holds the queue back instead of growing memory (backpressure).
 * - Envelopes are handed out in deliveries of `batchSize`, or fewer once no message came for
 *   `batchMs` (at most `10 × batchMs` after the delivery started filling); never more than
 *   `maxInFlight` deliveries are unacked. A delivery may hold part of a packed message
 *   (held-messages.ts).
 * - `ack()` acks the messages the delivery completes — one `basic.ack multiple` when no older message
 *   of the channel is still unacked, else one ack per message. `nack()` requeues every message the
 *   delivery holds envelopes of.
 * - `attempt` is 1 + the highest `x-delivery-count` the quorum queue put on the delivery's messages:
 *   a delivery can mix messages given back by a crashed member (RabbitMQ serves those first) with
 *   new ones this member had already fetched, and the redelivered ones must show.
 * - A lost channel or connection gives every unacked message back to the queue (RabbitMQ does that);
 *   the session opens a new channel with backoff, and the deliveries of the old one are revoked: their
 *   `ack()` and `nack()` resolve without doing anything, since their messages come again.
 * - Unsubscribing closes the channel: RabbitMQ requeues what it held, for the other members.
 */
import { BrokerError, retry, SluiceError, type Delivery, type ResolvedConsumeOptions, type RetryNotice, type RetryPolicy } from '@sluice/core';
import type { Channel, ChannelModel, ConsumeMessage } from 'amqplib';
import type { Subscriber } from 'rxjs';
import { deliveryCountOf } from './codec.js';
import { closedError, isTransientAmqpError, toBrokerError } from './errors.js';
import { HeldMessages, type Settlement, type Slice } from './held-messages.js';
import { decodeEnvelopes } from './packed.js';
import { nextPerMessage, prefetchFor, shouldChange } from './prefetch.js';

/** What a session needs of its broker. */
export interface SessionHost {
  /** The consuming connection, opened if need be. */
  connection(): Promise<ChannelModel>;
  /** Declares the topic, the group's queue and binding on `channel`; returns the queue name. */
  declareGroup(channel: Channel, topic: string, group: string): Promise<string>;
  /** Counts messages this process holds unacked for a queue (taken: +n, settled or lost: −n). */
  hold(queue: string, change: number): void;
  readonly batchMs: number;
  /** Whether the broker packs what it publishes: its consumers then expect packs from the start. */
  readonly packEnvelopes: boolean;
  readonly retry: Partial<RetryPolicy>;
  onRetry(notice: RetryNotice): void;
  /** Where the server is, for messages (no password). */
  readonly where: string;
  isClosed(): boolean;
}

/** The bookkeeping of one handed-out delivery. */
interface HandedOut {
  channel: Channel;
  slice: Slice<ConsumeMessage>;
  state: 'pending' | 'ack' | 'nack' | 'revoked';
}

/** One subscription to a topic in a group. */
export class ConsumerSession<T> {
  private channel: Channel | undefined;
  private queue: string | undefined;
  /** The unacked messages of the current channel. */
  private held = new HeldMessages<ConsumeMessage>();
  private readonly pending = new Set<HandedOut>();
  /** The AMQP consumer on the current channel, and the prefetch it was started with. */
  private consumerTag: string | undefined;
  private prefetch = 0;
  /** Envelopes per message, recently (see prefetch.ts); `undefined` before the first message. */
  private perMessage: number | undefined;
  private restarting = false;
  private timer: NodeJS.Timeout | undefined;
  private partialDue = false;
  /** When the partial delivery being filled started waiting, and when the last message arrived. */
  private oldestAt: number | undefined;
  private lastArrivalAt = 0;
  private stopped = false;
  private readonly abort = new AbortController();
  /** Resolves once the session's channel is closed (after `stop()`). */
  done: Promise<void> = Promise.resolve();

  constructor(
    /** The topic consumed. */
    readonly topic: string,
    private readonly options: ResolvedConsumeOptions,
    private readonly subscriber: Subscriber<Delivery<T>>,
    private readonly host: SessionHost,
  ) {}

  /** Opens the channel and starts consuming; failures past the retry budget go to the subscriber. */
  start(): void {
    void this.reopen();
  }

  /** Closes the channel without acking: RabbitMQ requeues what it held. Idempotent. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.abort.abort();
    clearTimeout(this.timer);
    const channel = this.channel;
    this.lose(channel);
    // A connection that died unnoticed never answers close-ok (heartbeats end it later): wait 5 s at most.
    const gaveUp = new Promise<void>((resolve) => setTimeout(resolve, 5000).unref());
    this.done = channel ? Promise.race([channel.close().catch(() => undefined), gaveUp]) : Promise.resolve();
  }

  /** Stops and completes the observable (the broker is closing). */
  complete(): void {
    if (this.stopped) return;
    this.stop();
    this.subscriber.complete();
  }

  /** Opens a channel and a consumer, retrying lost connections with backoff. */
  private async reopen(): Promise<void> {
    try {
      await retry(() => this.open(), {
        operation: `consume of topic "${this.topic}" in group "${this.options.group}"`,
        policy: this.host.retry,
        signal: this.abort.signal,
        retriable: (error) => !this.stopped && isTransientAmqpError(error),
        onRetry: (notice) => this.host.onRetry(notice),
      });
    } catch (error) {
      if (!this.stopped) {
        const failure =
          error instanceof SluiceError ? error : toBrokerError(error, 'consume', this.topic, `consuming in group "${this.options.group}"`, this.host.where);
        this.subscriber.error(failure);
        this.stop();
      }
    }
  }

  private async open(): Promise<void> {
    if (this.stopped) return;
    const model = await this.host.connection();
    const channel = await model.createChannel();
    channel.on('error', () => undefined); // 'close' follows
    channel.on('close', () => {
      if (this.channel !== channel) return;
      this.lose(channel);
      if (!this.stopped && !this.host.isClosed()) void this.reopen();
    });
    try {
      if (this.stopped) throw new Error('stopped while opening the channel');
      const queue = await this.host.declareGroup(channel, this.topic, this.options.group);
      this.queue = queue;
      const { batchSize, maxInFlight } = this.options;
      const prefetch = prefetchFor(batchSize, maxInFlight, this.perMessage ?? (this.host.packEnvelopes ? batchSize : 1));
      await channel.prefetch(prefetch);
      if (this.stopped) throw new Error('stopped while opening the channel');
      this.channel = channel;
      this.held = new HeldMessages<ConsumeMessage>();
      this.prefetch = prefetch;
      this.consumerTag = undefined;
      const { consumerTag } = await channel.consume(queue, (message) => this.receive(channel, message), { noAck: false });
      if (this.channel !== channel) return;
      this.consumerTag = consumerTag;
      // Messages that came before consume-ok could not start the consumer over yet.
      if (!this.restarting && shouldChange(this.prefetch, this.wantedPrefetch())) void this.restartConsumer(channel);
    } catch (error) {
      if (this.channel === channel) this.lose(channel);
      await channel.close().catch(() => undefined);
      throw error;
    }
  }

  /** A message pushed by RabbitMQ, or `null` when RabbitMQ cancelled the consumer (queue deleted). */
  private receive(channel: Channel, message: ConsumeMessage | null): void {
    if (channel !== this.channel || this.stopped) return;
    if (message === null) {
      // The queue went away: start over on a new channel, which declares it again.
      this.lose(channel);
      void channel.close().catch(() => undefined);
      void this.reopen();
      return;
    }
    this.lastArrivalAt = Date.now();
    const envelopes = decodeEnvelopes(message);
    this.held.add(message, message.fields.deliveryTag, envelopes, deliveryCountOf(message));
    this.host.hold(this.queue!, 1);
    this.perMessage = nextPerMessage(this.perMessage, envelopes.length);
    if (!this.restarting && shouldChange(this.prefetch, this.wantedPrefetch())) void this.restartConsumer(channel);
    this.pump();
  }

  private wantedPrefetch(): number {
    return prefetchFor(this.options.batchSize, this.options.maxInFlight, this.perMessage ?? 1);
  }

  /**
   * Starts the AMQP consumer over with the prefetch that fits the messages seen (prefetch.ts): cancels
   * the one in force — what it holds stays unacked on the channel and is handed out as before — then
   * sets the new prefetch and consumes again. A failure here closes the channel, which reopens.
   */
  private async restartConsumer(channel: Channel): Promise<void> {
    this.restarting = true;
    try {
      for (;;) {
        const wanted = this.wantedPrefetch();
        if (channel !== this.channel || this.stopped || !this.consumerTag || !shouldChange(this.prefetch, wanted)) return;
        const queue = this.queue!;
        await channel.cancel(this.consumerTag);
        this.consumerTag = undefined;
        if (channel !== this.channel || this.stopped) return;
        await channel.prefetch(wanted);
        this.prefetch = wanted;
        if (channel !== this.channel || this.stopped) return;
        const { consumerTag } = await channel.consume(queue, (message) => this.receive(channel, message), { noAck: false });
        if (channel !== this.channel) return;
        this.consumerTag = consumerTag;
      }
    } catch {
      // The channel failed under us: its 'close' handler opens a new one.
    } finally {
      this.restarting = false;
    }
  }

  /**
   * Hands out deliveries while there is room and something to hand out. A delivery smaller than
   * `batchSize` goes out once no message came for `batchMs` (RabbitMQ pushes a backlog in bursts, so
   * waiting for a quiet moment fills deliveries), or once its oldest message waited `10 × batchMs`.
   */
  private pump(): void {
    const { batchSize, maxInFlight } = this.options;
    while (!this.stopped && this.channel && this.pending.size < maxInFlight && this.held.buffered > 0) {
      if (this.held.buffered < batchSize && !this.partialDue && this.host.batchMs > 0) {
        this.armTimer();
        return;
      }
      this.partialDue = false;
      clearTimeout(this.timer);
      this.timer = undefined;
      this.oldestAt = undefined;
      this.handOut(this.channel, this.held.take(batchSize));
    }
  }

  /**
   * Arms the timer that lets a partial delivery go out: `batchMs` after the last arrival, at most
   * `10 × batchMs` after it was first armed. One timer per partial delivery, not one per message: when
   * it fires early (messages kept coming), it waits the rest.
   */
  private armTimer(): void {
    this.oldestAt ??= Date.now();
    this.timer ??= setTimeout(() => this.partialTimer(), this.partialDelay());
  }

  private partialDelay(): number {
    const { batchMs } = this.host;
    return Math.max(0, Math.min(this.lastArrivalAt + batchMs, (this.oldestAt ?? 0) + 10 * batchMs) - Date.now());
  }

  private partialTimer(): void {
    this.timer = undefined;
    const delay = this.partialDelay();
    if (delay > 0) {
      this.timer = setTimeout(() => this.partialTimer(), delay);
      return;
    }
    this.partialDue = true;
    this.pump();
  }

  private handOut(channel: Channel, slice: Slice<ConsumeMessage>): void {
    const record: HandedOut = { channel, slice, state: 'pending' };
    this.pending.add(record);
    const delivery: Delivery<T> = {
      topic: this.topic,
      envelopes: slice.envelopes as Delivery<T>['envelopes'],
      attempt: attemptOf(slice),
      ack: () => this.settle(record, 'ack'),
      nack: () => this.settle(record, 'nack'),
    };
    this.subscriber.next(delivery);
  }

  /** The first ack or nack of a delivery wins; repeating it resolves, the other one rejects. */
  private async settle(record: HandedOut, kind: 'ack' | 'nack'): Promise<void> {
    if (this.host.isClosed() && record.state === 'pending') throw closedError(kind, this.topic);
    if (record.state === 'revoked' || record.state === kind || (record.state === 'ack' && kind === 'nack')) return;
    if (record.state !== 'pending') {
      throw new BrokerError(
        `cannot ack a delivery of topic "${this.topic}": it was nacked and goes to the group again; settle each delivery once`,
        kind,
        this.topic,
      );
    }
    record.state = kind;
    this.pending.delete(record);
    const settlement = kind === 'ack' ? this.held.ack(record.slice) : this.held.nack(record.slice);
    if (settlement.messages.length > 0) {
      this.host.hold(this.queue!, -settlement.messages.length);
      send(record.channel, settlement, kind);
    }
    queueMicrotask(() => this.pump());
  }

  /** Forgets a closed channel: its deliveries are revoked and its buffered messages are RabbitMQ's again. */
  private lose(channel: Channel | undefined): void {
    if (!channel || channel !== this.channel) return;
    this.channel = undefined;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.partialDue = false;
    this.oldestAt = undefined;
    this.consumerTag = undefined;
    const released = this.held.clear();
    for (const record of this.pending) record.state = 'revoked';
    this.pending.clear();
    if (this.queue && released > 0) this.host.hold(this.queue, -released);
  }
}

/** 1 + the highest delivery count among the messages of `slice`. */
function attemptOf(slice: Slice<ConsumeMessage>): number {
  let count = 0;
  for (const held of slice.pieces) count = Math.max(count, held.deliveryCount);
  return count + 1;
}

/** Sends the acks or requeuing nacks of a settlement. */
function send(channel: Channel, { messages, multiple }: Settlement<ConsumeMessage>, kind: 'ack' | 'nack'): void {
  try {
    if (multiple) {
      const last = messages[messages.length - 1]!;
      if (kind === 'ack') channel.ack(last, true);
      else channel.nack(last, true, true);
    } else {
      for (const message of messages) {
        if (kind === 'ack') channel.ack(message);
        else channel.nack(message, false, true);
      }
    }
  } catch {
    // The channel closed meanwhile: RabbitMQ gives its unacked messages back to the queue anyway.
  }
}
