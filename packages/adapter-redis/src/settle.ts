/**
 * Settling a delivery once: `ack()` and `nack()` are idempotent, concurrent calls share one
 * round trip, and a failed attempt may be tried again.
 */
import { BrokerError } from '@sluice/core';
import { toBrokerError } from './errors.js';

/** How a delivery was settled. */
export type Settlement = 'ack' | 'nack';

/** Runs a settling action of one delivery. */
export type Settle = (kind: Settlement, action: () => Promise<void>) => Promise<void>;

/**
 * A settle function for one delivery of `topic`. Repeating the outcome it already reached resolves
 * at once; a `nack()` after an `ack()` is a no-op (nothing is left to give back); an `ack()` after
 * a `nack()` rejects, since the batch may already be on its way to another member.
 */
export function settleOnce(topic: string): Settle {
  let outcome: Settlement | undefined;
  let running: { kind: Settlement; promise: Promise<void> } | undefined;
  const covers = (done: Settlement, wanted: Settlement) => done === wanted || (done === 'ack' && wanted === 'nack');
  return (kind, action) => {
    if (outcome && covers(outcome, kind)) return Promise.resolve();
    if (running && covers(running.kind, kind)) return running.promise;
    if (outcome || running) {
      const state = outcome ? `was already ${outcome}ed` : `is being ${running!.kind}ed`;
      return Promise.reject(
        new BrokerError(
          `Cannot ${kind} a delivery of topic "${topic}": it ${state}. Settle each delivery once, with ack() or nack().`,
          kind,
          topic,
        ),
      );
    }
    const promise = action().then(
      () => {
        outcome = kind;
        running = undefined;
      },
      (error: unknown) => {
        running = undefined;
        throw toBrokerError(error, kind, topic);
      },
    );
    running = { kind, promise };
    return promise;
  };
}
