/** Building dead letters, and the two places they can go: a store table or a broker topic. */
import type { Broker, DeadLetter, DeadLetterSink, Position, Store } from '../types.js';

/** Text of a payload for a dead letter: strings as they are, anything else as JSON. */
export function payloadText(payload: unknown): string {
  if (typeof payload === 'string') return payload;
  try {
    return JSON.stringify(payload, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value)) ?? String(payload);
  } catch {
    return String(payload);
  }
}

/** A dead letter stamped now. */
export function deadLetter(
  origin: string,
  reason: string,
  payload: unknown,
  where: { position?: Position; key?: string } = {},
): DeadLetter {
  return {
    origin,
    reason,
    payload: payloadText(payload),
    at: Date.now(),
    ...(where.position ? { position: where.position } : {}),
    ...(where.key !== undefined ? { key: where.key } : {}),
  };
}

/** Dead letters into the store's dead-letter table (one transaction per call). */
export function storeDeadLetters(store: Store): DeadLetterSink {
  return {
    name: `store:${store.name}`,
    write: async (letters) => {
      if (letters.length > 0) await store.write({ rows: [], deadLetters: letters });
    },
  };
}

/** Dead letters as envelopes on a broker topic, e.g. `metrics.dead-letters`. */
export function topicDeadLetters(broker: Broker, topic: string): DeadLetterSink {
  return {
    name: `topic:${topic}`,
    write: (letters) =>
      broker.publish(
        topic,
        letters.map((letter) => ({
          key: `dead:${letter.origin}:${letter.key ?? letter.position?.index ?? letter.position?.offset ?? letter.at}`,
          value: letter,
          timestamp: letter.at,
          headers: { origin: letter.origin },
        })),
      ),
  };
}
