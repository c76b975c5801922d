/** Consumes deliveries one at a time and, on stop, finishes (and acks) what it holds before leaving. */
import { Observable } from 'rxjs';
import type { Delivery } from '../types.js';

/**
 * Subscribes to `deliveries$` and runs `handle` on each delivery in order. After `stop$` emits,
 * deliveries that still arrive are given back (`nack`), the ones already taken are finished,
 * and only then is the broker subscription released. That order matters: Kafka cannot commit
 * offsets for a consumer that has already left its group.
 */
export function consumeUntilStopped<T>(
  deliveries$: Observable<Delivery<T>>,
  stop$: Observable<void>,
  handle: (delivery: Delivery<T>) => Promise<void>,
): Observable<void> {
  return new Observable<void>((subscriber) => {
    let stopping = false;
    let active = 0;
    let chain = Promise.resolve();
    const finishIfDrained = () => {
      if (stopping && active === 0) subscriber.complete();
    };
    const stopSubscription = stop$.subscribe(() => {
      stopping = true;
      finishIfDrained();
    });
    const consumer = deliveries$.subscribe({
      next: (delivery) => {
        if (stopping) {
          delivery.nack().catch(() => undefined); // unacked anyway: redelivered after the timeout
          return;
        }
        active++;
        chain = chain
          .then(() => handle(delivery))
          .then(
            () => {
              active--;
              subscriber.next();
              finishIfDrained();
            },
            (error: unknown) => subscriber.error(error),
          );
      },
      error: (error: unknown) => subscriber.error(error),
      complete: () => {
        stopping = true;
        finishIfDrained();
      },
    });
    return () => {
      stopSubscription.unsubscribe();
      consumer.unsubscribe();
    };
  });
}
