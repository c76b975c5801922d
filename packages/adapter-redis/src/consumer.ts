/**
 * The consume loop of one group member on one stream.
 *
 * Each turn, while fewer than `maxInFlight` deliveries are unacked, it hands out the first of:
 * 1. its own pending entries whose reply may have been lost (after a (re)connect: `XREADGROUP … 0`);
 * 2. entries idle longer than the visibility timeout in the group, left by a dead or stuck member
 *    or nacked (`XAUTOCLAIM`, every `claimIntervalMs`);
 * 3. new entries (`XREADGROUP … >`, blocking at most `blockMs` or until the next claim is due).
 * Blocking reads run on a connection of their own; acks and nacks go through the shared one, so
 * a blocked read never delays an ack. A lost connection is retried with backoff; past the retry
 * budget the observable errors with `RetryExhaustedError`, acking nothing.
 */
import { Observable, type Subscriber } from 'rxjs';
import { retry, type Delivery, type RetryPolicy } from '@sluice/core';
import { decodeEntry } from './codec.js';
import { parseEntries, parseReadReply, type StreamEntry } from './replies.js';
import { compareStreamIds } from './stream-ids.js';
import { destroyClient, openClient, type Client } from './connection.js';
import { isNoGroupError, isTransientRedisError, toBrokerError } from './errors.js';
import type { ResolvedConsumeOptions } from './options.js';
import { settleOnce } from './settle.js';

/** Idle time given to nacked entries so that the next `XAUTOCLAIM` of any member takes them. */
const NACK_IDLE_MS = 1_000_000_000_000;

/** What a consume loop needs from its broker. */
export interface ConsumerContext {
  topic: string;
  /** Stream key of the topic. */
  key: string;
  options: ResolvedConsumeOptions;
  retry: Partial<RetryPolicy>;
  /** The shared connection, connected (acks, nacks, unblocking). */
  shared(): Promise<Client>;
  /** A new connection of this consumer's own, not yet connected. */
  dedicated(): Client;
  /** Creates the group if it does not exist. */
  ensureGroup(): Promise<void>;
  /** The broker's running loops: a loop is in it from its start to its end. */
  loops: Set<ConsumeLoop>;
}

/** A cold observable of deliveries: each subscription runs its own loop on its own connection. */
export function consumeStream<T>(context: ConsumerContext): Observable<Delivery<T>> {
  return new Observable<Delivery<T>>((subscriber) => {
    const loop = new ConsumeLoop(context, subscriber as Subscriber<Delivery<unknown>>);
    void loop.run();
    return () => loop.stop();
  });
}

/** One member's loop; see the module comment. */
export class ConsumeLoop {
  private stopped = false;
  private readonly abort = new AbortController();
  private connection: Client | undefined;
  /** Unacked deliveries handed out. */
  private inFlight = 0;
  private wake: (() => void) | undefined;
  /**
   * Entry ids of each unacked delivery. Only a recovery after a reconnect asks which ids are held,
   * so a delivery costs one set insertion here, not one map update per entry.
   */
  private readonly held = new Set<readonly string[]>();
  /** Set on every (re)connect: entries read but whose reply was lost sit in our pending list. */
  private recoverOwn = true;
  private ownCursor = '0-0';
  private claimCursor = '0-0';
  private nextClaimAt = 0;
  /** Server-side id of the dedicated connection, to unblock its read. */
  private connectionId: number | undefined;
  private blocking = false;

  constructor(
    private readonly context: ConsumerContext,
    private readonly subscriber: Subscriber<Delivery<unknown>>,
  ) {
    context.loops.add(this);
  }

  /** Runs until stopped or failed. */
  async run(): Promise<void> {
    const { topic } = this.context;
    try {
      await this.withRetry('consume', () => this.context.ensureGroup());
      while (!this.stopped) {
        await this.waitForCapacity();
        if (this.stopped) break;
        const delivery = await this.withRetry('consume', () => this.fetch());
        if (delivery && !this.stopped) this.subscriber.next(delivery);
      }
    } catch (error) {
      if (!this.stopped) this.subscriber.error(toBrokerError(error, 'consume', topic));
    } finally {
      this.stop();
    }
  }

  /** Ends the loop and drops its connection; unacked deliveries stay pending in Redis. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.abort.abort();
    this.wake?.();
    if (this.connection) destroyClient(this.connection);
    this.context.loops.delete(this);
  }

  /** Ends the loop and completes the observable (the broker is closing). */
  complete(): void {
    if (this.stopped) return;
    this.stop();
    this.subscriber.complete();
  }

  private async withRetry<R>(operation: string, fn: () => Promise<R>): Promise<R> {
    return retry(fn, {
      operation: `${operation} of topic "${this.context.topic}"`,
      policy: this.context.retry,
      signal: this.abort.signal,
      retriable: (error) => !this.stopped && isTransientRedisError(error),
      onRetry: () => {
        this.recoverOwn = true;
      },
    });
  }

  private waitForCapacity(): Promise<void> {
    if (this.inFlight < this.context.options.maxInFlight || this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      this.wake = () => {
        this.wake = undefined;
        resolve();
      };
    });
  }

  private async fetch(): Promise<Delivery | undefined> {
    const connection = await this.connect();
    try {
      if (this.recoverOwn) {
        const own = await this.readOwnPending(connection);
        if (own) return own;
      }
      if (Date.now() >= this.nextClaimAt) {
        const claimed = await this.claimIdle(connection);
        if (claimed) return claimed;
      }
      return await this.readNew(connection);
    } catch (error) {
      // The stream or group was deleted under us: make them again and go on reading.
      if (isNoGroupError(error)) {
        await this.context.ensureGroup();
        return undefined;
      }
      throw error;
    }
  }

  private async connect(): Promise<Client> {
    if (!this.connection) {
      const connection = this.context.dedicated();
      connection.on('ready', () => {
        this.recoverOwn = true;
        this.connectionId = undefined;
      });
      this.connection = connection;
    }
    await openClient(this.connection);
    // Stopped meanwhile (a retry may call once more after an abort): open nothing that outlives us.
    if (this.stopped) {
      destroyClient(this.connection);
      throw new Error(`the consumer of topic "${this.context.topic}" has stopped`);
    }
    if (this.connectionId === undefined) this.connectionId = await this.connection.clientId();
    return this.connection;
  }

  /** Our own pending entries not held by a live delivery (replies lost with a connection). */
  private async readOwnPending(connection: Client): Promise<Delivery | undefined> {
    const { group, consumer, batchSize } = this.context.options;
    for (;;) {
      const raw = await connection.sendCommand(
        ['XREADGROUP', 'GROUP', group, consumer, 'COUNT', String(batchSize), 'STREAMS', this.context.key, this.ownCursor],
      );
      const { entries, deleted } = parseReadReply(raw);
      const ids = [...entries.map((e) => e.id), ...deleted];
      // Entries deleted from the stream (XDEL by someone) while pending: nothing is left to hand out.
      if (deleted.length > 0) await this.ackIds(deleted);
      if (ids.length === 0) {
        this.recoverOwn = false;
        this.ownCursor = '0-0';
        return undefined;
      }
      this.ownCursor = ids.sort(compareStreamIds).at(-1)!;
      const held = new Set([...this.held].flat());
      const lost = entries.filter((e) => !held.has(e.id));
      if (lost.length > 0) return this.deliver(lost, await this.deliveryCount(lost[0]!.id));
    }
  }

  /** Entries idle past the visibility timeout anywhere in the group, claimed for us. */
  private async claimIdle(connection: Client): Promise<Delivery | undefined> {
    const { group, consumer, batchSize, visibilityTimeoutMs, claimIntervalMs } = this.context.options;
    const raw = (await connection.sendCommand([
      'XAUTOCLAIM', this.context.key, group, consumer, String(visibilityTimeoutMs), this.claimCursor, 'COUNT', String(batchSize),
    ])) as [string, unknown, unknown?];
    this.claimCursor = String(raw[0]);
    // A full scan of the pending list ends with cursor 0-0; until then, go on at once.
    this.nextClaimAt = this.claimCursor === '0-0' ? Date.now() + claimIntervalMs : 0;
    const { entries } = parseEntries(raw[1]);
    if (entries.length === 0) return undefined;
    return this.deliver(entries, await this.deliveryCount(entries[0]!.id));
  }

  /** New entries, blocking until some arrive, the next claim is due, or a nack unblocks us. */
  private async readNew(connection: Client): Promise<Delivery | undefined> {
    const { group, consumer, batchSize, blockMs } = this.context.options;
    const untilClaim = this.nextClaimAt - Date.now();
    const block = untilClaim <= 0 ? [] : ['BLOCK', String(Math.max(1, Math.min(blockMs, untilClaim)))];
    this.blocking = block.length > 0;
    try {
      const raw = await connection.sendCommand([
        'XREADGROUP', 'GROUP', group, consumer, 'COUNT', String(batchSize), ...block, 'STREAMS', this.context.key, '>',
      ]);
      const { entries } = parseReadReply(raw);
      return entries.length === 0 ? undefined : this.deliver(entries, 1);
    } finally {
      this.blocking = false;
    }
  }

  /** How many times Redis has handed out entry `id` (1 if it can no longer tell). */
  private async deliveryCount(id: string): Promise<number> {
    const connection = await this.connect();
    const [info] = await connection.xPendingRange(this.context.key, this.context.options.group, id, id, 1);
    return Math.max(1, Number(info?.deliveriesCounter ?? 1));
  }

  private deliver(entries: readonly StreamEntry[], attempt: number): Delivery {
    const ids = entries.map((e) => e.id);
    this.held.add(ids);
    this.inFlight++;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      this.held.delete(ids);
      this.inFlight--;
      this.wake?.();
    };
    const settle = settleOnce(this.context.topic);
    return {
      topic: this.context.topic,
      envelopes: entries.map(decodeEntry),
      attempt,
      ack: () => settle('ack', async () => {
        await this.ackIds(ids);
        release();
      }),
      nack: () => settle('nack', async () => {
        await this.giveBack(ids);
        release();
      }),
    };
  }

  private async ackIds(ids: readonly string[]): Promise<void> {
    const shared = await this.context.shared();
    await shared.xAck(this.context.key, this.context.options.group, [...ids]);
  }

  /** Makes `ids` claimable at once by any member, and wakes our own loop to claim them. */
  private async giveBack(ids: readonly string[]): Promise<void> {
    const { group, consumer } = this.context.options;
    const shared = await this.context.shared();
    await shared.sendCommand([
      'XCLAIM', this.context.key, group, consumer, '0', ...ids, 'IDLE', String(NACK_IDLE_MS), 'JUSTID',
    ]);
    this.claimCursor = '0-0';
    this.nextClaimAt = 0;
    if (this.blocking && this.connectionId !== undefined) {
      // Best effort: at worst the redelivery waits for the end of the current block.
      await shared.sendCommand(['CLIENT', 'UNBLOCK', String(this.connectionId)]).catch(() => undefined);
    }
  }
}
