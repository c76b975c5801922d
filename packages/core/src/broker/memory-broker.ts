/**
 * The in-memory broker, Sluice's embedded default: topics are append-only logs, consumer groups have
 * their own cursors, deliveries are acked or redelivered after a visibility timeout, a crash or a
 * nack, and acked entries are trimmed. At-least-once within one process; nothing survives a restart.
 */
import { Observable, type Subscriber } from 'rxjs';
import { BrokerError, ConfigError, describeError } from '../errors.js';
import type { Broker, ConsumeOptions, Delivery, Envelope, LagInfo } from '../types.js';
import type { Member } from './consumer-group.js';
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
   * bounded when a producer outruns its consumers (default 20 000; `Infinity` turns it off).
   * A topic with no consumer group never makes `publish` wait.
   */
  maxRetained?: number;
}

/** The in-memory broker: a `Broker` that can also tell how much it retains. */
export interface MemoryBroker extends Broker {
  /** Envelopes a topic still holds (not yet acked by every group); 0 for a topic never used. */
  retained(topic: string): number;
}

/**
 * Creates an in-memory broker named `memory`. Envelopes are structurally cloned on publish, so a
 * publisher's later mutations are not seen by consumers; consumers should treat what they receive
 * as read-only (one copy is shared by all groups).
 */
export function createMemoryBroker(options: MemoryBrokerOptions = {}): MemoryBroker {
  const defaults = resolveConsumeDefaults(options, 'createMemoryBroker options');
  const maxRetained = options.maxRetained ?? 20_000;
  if (!(maxRetained >= 1)) {
    throw new ConfigError(`createMemoryBroker options: maxRetained must be at least 1 (or Infinity), got ${String(options.maxRetained)}`, 'maxRetained');
  }
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
      const copies = cloneEnvelopes(name, envelopes);
      await topic.waitForRoom(maxRetained);
      ensureOpen('publish', name);
      topic.log.append(copies);
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

/** Deep copies of a batch (one `structuredClone` call); names the envelope that cannot be copied. */
function cloneEnvelopes<T>(topic: string, envelopes: readonly Envelope<T>[]): Envelope<T>[] {
  const plain = envelopes.map(({ key, value, timestamp, headers }) => ({ key, value, timestamp, headers: headers ?? {} }));
  try {
    return structuredClone(plain);
  } catch {
    const index = plain.findIndex((envelope) => cloneError(envelope) !== undefined);
    const bad = plain[index];
    throw new BrokerError(
      `cannot publish to topic "${topic}": the value of envelope ${index} (key "${bad?.key}") cannot be copied ` +
        `(${describeError(cloneError(bad))}); values must survive JSON.stringify/JSON.parse — no functions or symbols`,
      'publish',
      topic,
    );
  }
}

function cloneError(value: unknown): unknown {
  try {
    structuredClone(value);
    return undefined;
  } catch (error) {
    return error;
  }
}
