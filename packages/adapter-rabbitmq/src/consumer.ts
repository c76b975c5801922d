/**
 * One `consume()` subscription: a channel of its own on the broker's consuming connection, one AMQP
 * consumer on the group's quorum queue, and the batching of what RabbitMQ pushes into deliveries.
 *
 * - Prefetch is `batchSize × maxInFlight`: RabbitMQ pushes no more than that unacked, so a slow
 *   pipeline holds the queue back instead of growing memory (backpressure).
 * - Messages are handed out in deliveries of `batchSize`, or fewer once the oldest has waited
 *   `batchMs`; never more than `maxInFlight` deliveries are unacked.
 * - `ack()` acks the delivery's messages — one `basic.ack multiple` up to its last delivery tag when no
 *   older delivery of the channel is still unacked, else one ack per message. `nack()` requeues them.
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
import { decodeMessage, deliveryCountOf } from './codec.js';
import { closedError, isTransientAmqpError, toBrokerError } from './errors.js';

/** What a session needs of its broker. */
export interface SessionHost {
  /** The consuming connection, opened if need be. */
  connection(): Promise<ChannelModel>;
  /** Declares the topic, the group's queue and binding on `channel`; returns the queue name. */
  declareGroup(channel: Channel, topic: string, group: string): Promise<string>;
  /** Counts messages this process holds unacked for a queue (taken: +n, settled or lost: −n). */
  hold(queue: string, change: number): void;
  readonly batchMs: number;
  readonly retry: Partial<RetryPolicy>;
  onRetry(notice: RetryNotice): void;
  /** Where the server is, for messages (no password). */
  readonly where: string;
  isClosed(): boolean;
}

/** The bookkeeping of one handed-out delivery. */
interface HandedOut {
  channel: Channel;
  messages: ConsumeMessage[];
  first: number;
  state: 'pending' | 'ack' | 'nack' | 'revoked';
}

/** One subscription to a topic in a group. */
export class ConsumerSession<T> {
  private channel: Channel | undefined;
  private queue: string | undefined;
  private buffer: ConsumeMessage[] = [];
  private readonly pending = new Set<HandedOut>();
  private timer: NodeJS.Timeout | undefined;
  private partialDue = false;
  /** When the oldest message of the partial delivery being filled arrived. */
  private oldestAt: number | undefined;
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
      this.queue = await this.host.declareGroup(channel, this.topic, this.options.group);
      await channel.prefetch(this.options.batchSize * this.options.maxInFlight);
      if (this.stopped) throw new Error('stopped while opening the channel');
      this.channel = channel;
      await channel.consume(this.queue, (message) => this.receive(channel, message), { noAck: false });
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
    this.buffer.push(message);
    this.host.hold(this.queue!, 1);
    this.pump();
  }

  /**
   * Hands out deliveries while there is room and something to hand out. A delivery smaller than
   * `batchSize` goes out once no message came for `batchMs` (RabbitMQ pushes a backlog in bursts, so
   * waiting for a quiet moment fills deliveries), or once its oldest message waited `10 × batchMs`.
   */
  private pump(): void {
    const { batchSize, maxInFlight } = this.options;
    while (!this.stopped && this.channel && this.pending.size < maxInFlight && this.buffer.length > 0) {
      if (this.buffer.length < batchSize && !this.partialDue && this.host.batchMs > 0) {
        this.armTimer();
        return;
      }
      this.partialDue = false;
      clearTimeout(this.timer);
      this.timer = undefined;
      this.oldestAt = undefined;
      this.handOut(this.channel, this.buffer.splice(0, batchSize));
    }
  }

  /** (Re)arms the timer that lets a partial delivery go out: `batchMs` after the last arrival, capped. */
  private armTimer(): void {
    const now = Date.now();
    this.oldestAt ??= now;
    const delay = Math.max(0, Math.min(this.host.batchMs, this.oldestAt + 10 * this.host.batchMs - now));
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.partialDue = true;
      this.pump();
    }, delay);
  }

  private handOut(channel: Channel, messages: ConsumeMessage[]): void {
    const record: HandedOut = { channel, messages, first: messages[0]!.fields.deliveryTag, state: 'pending' };
    this.pending.add(record);
    const delivery: Delivery<T> = {
      topic: this.topic,
      envelopes: messages.map((message) => decodeMessage(message) as Delivery<T>['envelopes'][number]),
      attempt: attemptOf(messages),
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
    const { channel, messages } = record;
    const olderPending = [...this.pending].some((other) => other !== record && other.state === 'pending' && other.first < record.first);
    record.state = kind;
    this.pending.delete(record);
    this.host.hold(this.queue!, -messages.length);
    try {
      const last = messages[messages.length - 1]!;
      if (kind === 'ack') {
        if (olderPending) for (const message of messages) channel.ack(message);
        else channel.ack(last, true);
      } else if (olderPending) {
        for (const message of messages) channel.nack(message, false, true);
      } else {
        channel.nack(last, true, true);
      }
    } catch {
      // The channel closed meanwhile: RabbitMQ gives its unacked messages back to the queue anyway.
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
    let released = this.buffer.length;
    this.buffer = [];
    for (const record of this.pending) {
      record.state = 'revoked';
      released += record.messages.length;
    }
    this.pending.clear();
    if (this.queue && released > 0) this.host.hold(this.queue, -released);
  }
}

/** 1 + the highest delivery count among `messages`. */
function attemptOf(messages: readonly ConsumeMessage[]): number {
  let count = 0;
  for (const message of messages) count = Math.max(count, deliveryCountOf(message));
  return count + 1;
}
