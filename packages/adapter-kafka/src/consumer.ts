/**
 * One `consume()` subscription: a kafkajs consumer in the group, the loop that turns fetched
 * records into deliveries, and the acks that commit offsets.
 *
 * - Records of a fetch are buffered and handed out in deliveries of at most `batchSize` (a delivery
 *   may span partitions; each partition's records stay in order). A partial delivery goes out only
 *   once kafkajs starts its next fetch, so one fetch fills as few deliveries as it can.
 * - While `maxInFlight` deliveries are unacked and a full delivery is waiting, the batch handler
 *   waits (heartbeating), so kafkajs fetches nothing more: memory stays bounded.
 * - `ack()` commits, per partition, only up to the acked prefix (see offsets.ts). `nack()` seeks
 *   the delivery's partitions back to its first offsets so the records come again.
 * - Every (re)join of the group starts a new generation: kafkajs re-reads all assigned partitions
 *   from the committed offsets, so deliveries of an older generation commit nothing — their records
 *   are redelivered to whoever owns the partition now (at-least-once).
 * - Unsubscribing disconnects without committing; the group hands the unacked records to others.
 */
import { BrokerError, describeError, type Delivery, type Envelope, type ResolvedConsumeOptions } from '@sluice/core';
import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import type { Subscriber } from 'rxjs';
import { decodeRecord } from './packed.js';
import { offsetOf, positionOf, recordStart, slotOf } from './positions.js';
import { closedError, isRebalanceError, toBrokerError } from './errors.js';
import { OffsetBook, type Run } from './commits.js';
import type { ResolvedKafkaOptions } from './options.js';
import { Signal } from './signal.js';

/** What a session needs of its broker. */
export interface SessionHost {
  readonly options: ResolvedKafkaOptions;
  /** A kafkajs client named for this consumer. */
  client(consumerName: string): Kafka;
  /** Creates the topic if needed. */
  ensureTopic(topic: string): Promise<void>;
  /** Whether the broker was closed. */
  isClosed(): boolean;
}

/**
 * How long a consumer keeps restarting after kafkajs crashes (lost cluster) before its observable
 * errors. kafkajs restarts every few hundred ms, so a count of restarts would give up within
 * seconds of a broker outage; a time budget rides out restarts and network cuts.
 */
const RESTART_BUDGET_MS = 60_000;

/**
 * The pause before this session restarts a consumer that kafkajs gave up on although the cluster
 * may come back (kafkajs restarts only when the innermost error is marked retriable).
 */
const SELF_RESTART_DELAY_MS = 1000;

/** A fetched envelope waiting to be handed out. */
interface Buffered {
  partition: number;
  /** Offset of its record. */
  offset: bigint;
  /** Its slot in the record (see positions.ts). */
  slot: number;
  envelope: Envelope<unknown>;
}

/** The bookkeeping of one handed-out delivery. */
interface HandedOut {
  id: number;
  generation: number;
  runs: Run[];
  attempt: number;
  state: 'pending' | 'acked' | 'nacked';
}

/** One subscription to a topic in a group. */
export class ConsumerSession<T> {
  private consumer: Consumer | undefined;
  private started: Promise<void> = Promise.resolve();
  private stopped = false;
  private generation = 0;
  private buffer: Buffered[] = [];
  private readonly book = new OffsetBook();
  /** Highest position handed out per partition during this session, to recognise redeliveries. */
  private readonly deliveredUpTo = new Map<number, bigint>();
  /** Attempt numbers of nacked runs (`partition:offset` of their first record), for their redelivery. */
  private readonly nackAttempts = new Map<string, number>();
  private inFlight = 0;
  /** Whether kafkajs has finished the last fetch, so a partial delivery may go out. */
  private partialReady = false;
  private pumping = false;
  private pumpAgain = false;
  private nextId = 1;
  /** When the current run of crashes began (reset when the group is joined again). */
  private firstCrashAt: number | undefined;
  /** A pending restart of a consumer kafkajs gave up on (see `restartOrFail`). */
  private restartTimer: ReturnType<typeof setTimeout> | undefined;
  /** Restarts in the current run of crashes, for the `onRetry` notices. */
  private restarts = 0;
  private readonly wake = new Signal();
  /** Resolves once the kafkajs consumer has disconnected (after `stop()`). */
  done: Promise<void> = Promise.resolve();

  constructor(
    /** The topic consumed. */
    readonly topic: string,
    private readonly options: ResolvedConsumeOptions,
    private readonly subscriber: Subscriber<Delivery<T>>,
    private readonly host: SessionHost,
  ) {}

  /** Joins the group and starts fetching. Failures go to the subscriber. */
  start(): void {
    this.started = this.run().catch((error: unknown) => {
      const failure = toBrokerError(error, 'consume', this.topic, `joining group "${this.options.group}"`, this.host.options.brokers);
      // A first join fails fast; a rejoin after a crash rides out the outage within the budget.
      if (this.firstCrashAt !== undefined) this.restartOrFail(failure);
      else this.fail(failure);
    });
  }

  /** Leaves the group without committing anything (unsubscribe). Idempotent. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.restartTimer);
    this.buffer = [];
    this.wake.notify();
    this.done = this.started.then(() => this.consumer?.disconnect()).catch(() => undefined);
  }

  /** Whether a run of crashes (begun now if none is under way) is still within the restart budget. */
  private withinRestartBudget(): boolean {
    return Date.now() - (this.firstCrashAt ??= Date.now()) < RESTART_BUDGET_MS;
  }

  /**
   * After kafkajs gave up on its consumer (it has disconnected it): a lost cluster within the budget
   * gets a new consumer, which reads on from the committed offsets; anything else fails the subscriber.
   */
  private restartOrFail(error: BrokerError): void {
    if (this.stopped) return;
    if (!error.retriable || !this.withinRestartBudget()) return this.fail(error);
    this.host.options.onRetry({
      operation: `consume ${this.topic} in group "${this.options.group}" (a new consumer)`,
      attempt: ++this.restarts,
      delayMs: SELF_RESTART_DELAY_MS,
      error,
    });
    clearTimeout(this.restartTimer);
    this.restartTimer = setTimeout(() => {
      if (!this.stopped) this.start();
    }, SELF_RESTART_DELAY_MS);
  }

  /** Fails the subscriber with `error` (which unsubscribes, hence stops). */
  fail(error: BrokerError): void {
    if (!this.stopped) this.subscriber.error(error);
  }

  private async run(): Promise<void> {
    const { options, host } = this;
    await host.ensureTopic(this.topic);
    if (this.stopped) return;
    const consumer = host.client(options.consumer).consumer({
      groupId: options.group,
      sessionTimeout: host.options.sessionTimeoutMs,
      heartbeatInterval: host.options.heartbeatIntervalMs,
      maxWaitTimeInMs: host.options.maxWaitTimeMs,
      allowAutoTopicCreation: false,
      retry: { retries: host.options.retries, restartOnFailure: async () => this.withinRestartBudget() },
    });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, () => {
      this.firstCrashAt = undefined;
      this.restarts = 0;
      this.newGeneration();
    });
    consumer.on(consumer.events.FETCH_START, () => {
      this.partialReady = true;
      this.pump();
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      // Whether or not kafkajs restarts, the consumer reads on from the committed offsets.
      this.newGeneration();
      if (!payload.restart) {
        this.restartOrFail(toBrokerError(payload.error, 'consume', this.topic, `consuming in group "${options.group}"`, host.options.brokers));
      }
    });
    await consumer.connect();
    await consumer.subscribe({ topic: this.topic, fromBeginning: options.fromBeginning });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: (payload) => this.eachBatch(payload),
    });
  }

  /** A new generation of the group: forget everything fetched or acked under the old one. */
  private newGeneration(): void {
    this.generation++;
    this.buffer = [];
    this.book.reset();
    this.nackAttempts.clear();
    this.partialReady = false;
  }

  private async eachBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    const { messages, partition } = batch;
    const last = messages[messages.length - 1];
    if (this.stopped || !last || isStale()) return;
    this.partialReady = false;
    for (const message of messages) {
      const offset = BigInt(message.offset);
      const envelopes = decodeRecord(message, partition);
      for (let index = 0; index < envelopes.length; index++) {
        this.buffer.push({ partition, offset, slot: slotOf(index, envelopes.length), envelope: envelopes[index]! });
      }
    }
    // The records are ours now: kafkajs fetches on after them. Nothing is committed here.
    resolveOffset(last.offset);
    this.pump();
    const { batchSize, maxInFlight } = this.options;
    while (!this.stopped && isRunning() && this.buffer.length >= batchSize && this.inFlight >= maxInFlight) {
      await this.wake.wait(this.host.options.heartbeatIntervalMs);
      try {
        await heartbeat();
      } catch (error) {
        // The group is rebalancing: let acks already under way land before kafkajs rejoins.
        if (isRebalanceError(error)) await this.book.idle();
        throw error;
      }
    }
  }

  /** Hands out deliveries while there is room and something to hand out. Safe to call re-entrantly. */
  private pump(): void {
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.pumpAgain = false;
        const { batchSize, maxInFlight } = this.options;
        while (!this.stopped && this.inFlight < maxInFlight && this.buffer.length > 0) {
          if (this.buffer.length < batchSize && !this.partialReady) break;
          this.handOut(this.buffer.splice(0, batchSize));
        }
      } while (this.pumpAgain);
    } catch (error) {
      // Only a bug gets here (pump runs from kafkajs events and microtasks): fail loudly, not the process.
      this.fail(new BrokerError(`consumer of topic "${this.topic}" failed: ${describeError(error)}`, 'consume', this.topic, { cause: error }));
    } finally {
      this.pumping = false;
    }
  }

  private handOut(items: Buffered[]): void {
    const id = this.nextId++;
    const runs = runsOf(items);
    let attempt = 1;
    this.book.handOut(id, runs);
    for (const run of runs) {
      attempt = Math.max(attempt, this.attemptOf(run));
      const upTo = this.deliveredUpTo.get(run.partition);
      if (upTo === undefined || run.last > upTo) this.deliveredUpTo.set(run.partition, run.last);
    }
    const record: HandedOut = { id, generation: this.generation, runs, attempt, state: 'pending' };
    this.inFlight++;
    const delivery: Delivery<T> = {
      topic: this.topic,
      envelopes: items.map((item) => item.envelope as Envelope<T>),
      attempt,
      ack: () => this.settle(record, 'ack'),
      nack: () => this.settle(record, 'nack'),
    };
    this.subscriber.next(delivery);
  }

  /** 1 for records never handed out in this session; more for a nacked run or records seen before. */
  private attemptOf(run: Run): number {
    const key = `${run.partition}:${offsetOf(run.first)}`;
    const nacked = this.nackAttempts.get(key);
    if (nacked !== undefined) {
      this.nackAttempts.delete(key);
      return nacked;
    }
    const upTo = this.deliveredUpTo.get(run.partition);
    return upTo !== undefined && run.first <= upTo ? 2 : 1;
  }

  /** The first ack or nack of a delivery wins; a repeated ack retries a commit that failed. */
  private async settle(record: HandedOut, operation: 'ack' | 'nack'): Promise<void> {
    if (this.host.isClosed()) throw closedError(operation, this.topic);
    if (record.state === 'pending') {
      record.state = operation === 'ack' ? 'acked' : 'nacked';
      this.inFlight--;
      this.wake.notify();
      queueMicrotask(() => this.pump());
      if (this.stopped) {
        if (operation === 'nack') return;
        throw new BrokerError(
          `ack of ${describeRuns(record.runs)} on topic "${this.topic}" was not recorded: this consumer left group ` +
            `"${this.options.group}" (unsubscribed) before the ack, and Kafka takes commits only from members; ` +
            'the envelopes will be redelivered to the group — ack before unsubscribing',
          'ack',
          this.topic,
        );
      }
      // A delivery of an older generation was revoked: its records go to the partition's new owner.
      if (record.generation !== this.generation) return;
      if (operation === 'nack') return this.rewind(record);
      this.book.ack(record.id, record.runs);
    } else if (operation === 'nack' || record.state === 'nacked' || this.stopped || record.generation !== this.generation) {
      return;
    }
    await this.flushCommits();
  }

  /** Reads the delivery's partitions again from the records of its first envelopes. */
  private rewind(record: HandedOut): void {
    const from = record.runs.map(({ partition, first }) => ({ partition, offset: offsetOf(first) }));
    this.book.rewind(from.map(({ partition, offset }) => ({ partition, first: recordStart(offset) })));
    for (const { partition, offset } of from) {
      this.nackAttempts.set(`${partition}:${offset}`, record.attempt + 1);
      this.buffer = this.buffer.filter((item) => item.partition !== partition || item.offset < offset);
      try {
        this.consumer?.seek({ topic: this.topic, partition, offset: String(offset) });
      } catch {
        // The consumer is restarting: it will read from the committed offset, which is not past `first`.
      }
    }
  }

  /** Commits the acked prefixes (see OffsetBook). */
  private flushCommits(): Promise<void> {
    return this.book.flush((offsets) => this.commit(offsets));
  }

  private async commit(offsets: ReadonlyMap<number, bigint>): Promise<void> {
    const consumer = this.consumer;
    if (!consumer || this.stopped) return;
    const generation = this.generation;
    // The book holds positions: one past the acked prefix is in the record to read on from.
    const topicPartitions = [...offsets].map(([partition, next]) => ({ topic: this.topic, partition, offset: String(offsetOf(next)) }));
    try {
      await consumer.commitOffsets(topicPartitions);
    } catch (error) {
      // Revoked meanwhile: the new owner reads on from the last commit that made it, redelivering the rest.
      if (isRebalanceError(error) || generation !== this.generation || this.stopped) return;
      throw toBrokerError(error, 'ack', this.topic, `committing offsets of group "${this.options.group}"`, this.host.options.brokers);
    }
  }
}

/** The per-partition runs of positions of a delivery's envelopes (which come in fetch order). */
function runsOf(items: readonly Buffered[]): Run[] {
  const ends = new Map<number, { first: Buffered; last: Buffered }>();
  for (const item of items) {
    const end = ends.get(item.partition);
    if (end) end.last = item;
    else ends.set(item.partition, { first: item, last: item });
  }
  return [...ends].map(([partition, { first, last }]) => ({
    partition,
    first: positionOf(first.offset, first.slot),
    last: positionOf(last.offset, last.slot),
  }));
}

function describeRuns(runs: readonly Run[]): string {
  return runs.map((run) => `partition ${run.partition} offsets ${offsetOf(run.first)}..${offsetOf(run.last)}`).join(', ');
}
