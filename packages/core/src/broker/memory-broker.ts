/**
 * The in-memory broker, Sluice's embedded default: topics are append-only logs, consumer groups have
 * their own cursors, deliveries are acked or redelivered after a visibility timeout, a crash or a
 * nack, and acked entries are trimmed. At-least-once within one process; nothing survives a restart.
 */
import { Observable, type Subscriber } from 'rxjs';
import { BrokerError, ConfigError } from '../errors.js';
import type { Broker, ConsumeOptions, Delivery, Envelope, LagInfo } from '../types.js';
import type { Member } from './consumer-group.js';
import { copyEnvelopes, takeEnvelopes } from './envelope-copy.js';
import { Topic } from './topic.js';
import {
  assertEnvelopes,
  assertGroup,
  assertTopic,
  resolveConsumeDefaults,
  resolveConsumeOptions,
  type ConsumeDefaults,
  type ResolvedConsumeOptions,
} from './validate.js';

/** Options of `createMemoryBroker`: defaults for consumers that do not set their own, and the backlog bound. */
export interface MemoryBrokerOptions extends Partial<ConsumeDefaults> {
  /**
   * Most envelopes a consumed topic retains (published but not yet acked by every group) before
   * `publish` waits for consumers to ack: the publisher side of backpressure, which keeps memory
   * bounded when a producer outruns its consumers (default 10 000; `Infinity` turns it off).
   * A topic with no consumer group never makes `publish` wait.
   */
  maxRetained?: number;
  /**
   * Whether `publish` deep-copies the envelopes it is given (default `true`). A copy guarantees
   * that what a publisher changes after `publish` resolved is never seen by consumers, and refuses
   * a value that cannot be copied (a function or symbol in it).
   *
   * `false` is ownership transfer, for publishers that never touch an envelope, its value or its
   * headers once they passed it to `publish` (`ingest` is one: it builds each envelope for the
   * call and drops it). The broker then keeps the publisher's own values, which saves one copy of
   * every record in CPU, garbage and memory; but a later mutation by the publisher *is* seen by
   * consumers (of every group), and values are not checked. Use the default when in doubt.
   */
  copy?: boolean;
}

/** The in-memory broker: a `Broker` that can also tell how much it retains. */
export interface MemoryBroker extends Broker {
  /** Envelopes a topic still holds (not yet acked by every group); 0 for a topic never used. */
  retained(topic: string): number;
}

/**
 * Creates an in-memory broker named `memory`. By default envelopes are deep-copied on publish
 * (plain data by a hand-written copy, anything else by `structuredClone`), so a publisher's later
 * mutations are not seen by consumers; with `copy: false` the publisher hands its envelopes over
 * instead (see `MemoryBrokerOptions.copy`). Either way consumers should treat what they receive
 * as read-only: one copy is shared by all groups and by redeliveries.
 */
export function createMemoryBroker(options: MemoryBrokerOptions = {}): MemoryBroker {
  const defaults = resolveConsumeDefaults(options, 'createMemoryBroker options');
  const maxRetained = options.maxRetained ?? 10_000;
  if (!(maxRetained >= 1)) {
    throw new ConfigError(`createMemoryBroker options: maxRetained must be at least 1 (or Infinity), got ${String(options.maxRetained)}`, 'maxRetained');
  }
  if (options.copy !== undefined && typeof options.copy !== 'boolean') {
    throw new ConfigError(`createMemoryBroker options: copy must be true or false, got ${String(options.copy)}`, 'copy');
  }
  const copy = options.copy ?? true;
  const topics = new Map<string, Topic>();
  let closed = false;

  const closedError = (operation: string, topic = '') =>
    new BrokerError(
      `${operation}${topic ? ` on topic "${topic}"` : ''} failed: the memory broker is closed; create a new one with createMemoryBroker()`,
      operation,
      topic,
    );
  const ensureOpen = (operation: string, topic: unknown) => {
    if (closed) throw closedError(operation, typeof topic === 'string' ? topic : '');
    return assertTopic(topic);
  };
  const topicOf = (name: string) => {
    let topic = topics.get(name);
    if (!topic) {
      topic = new Topic(name, (operation) => closedError(operation, name));
      topics.set(name, topic);
    }
    return topic;
  };

  return {
    name: 'memory',

    async publish<T>(name: string, envelopes: readonly Envelope<T>[]): Promise<void> {
      ensureOpen('publish', name);
      assertEnvelopes(name, envelopes);
      if (envelopes.length === 0) return;
      const topic = topicOf(name);
      const kept = copy ? copyEnvelopes(name, envelopes) : takeEnvelopes(envelopes);
      await topic.waitForRoom(maxRetained);
      ensureOpen('publish', name);
      topic.log.append(kept);
      topic.wakeAll();
    },

    consume<T>(name: string, consumeOptions: ConsumeOptions): Observable<Delivery<T>> {
      return new Observable<Delivery<T>>((subscriber) => {
        let resolved: ResolvedConsumeOptions;
        try {
          ensureOpen('consume', name);
          resolved = resolveConsumeOptions(name, consumeOptions, defaults);
        } catch (error) {
          subscriber.error(error);
          return undefined;
        }
        const group = topicOf(name).group(resolved.group, resolved.fromBeginning);
        const member: Member = { options: resolved, subscriber: subscriber as Subscriber<Delivery>, inFlight: 0 };
        group.join(member);
        return () => group.leave(member);
      });
    },

    async lag(name: string, group: string): Promise<LagInfo> {
      ensureOpen('lag', name);
      assertGroup(name, group);
      return { topic: name, group, lag: topics.get(name)?.lag(group) ?? 0 };
    },

    retained(name: string): number {
      return topics.get(name)?.log.retained ?? 0;
    },

    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      for (const topic of topics.values()) topic.close(closedError('consume', topic.name));
      topics.clear();
    },
  };
}
