/** Consumes deliveries one at a time and, on stop, finishes (and acks) what it holds before leaving. */
import { Observable } from 'rxjs';
import type { Delivery } from '../types.js';

/**
 * Subscribes to `deliveries$` and runs `handle` on each delivery in order. `prepare` runs on each
 * delivery as it arrives, while earlier ones may still be in `handle`: the CPU work of delivery
 * k + 1 (validation, mapping, encoding) overlaps the I/O of delivery k. After `stop$` emits,
 * the deliveries already taken are finished, then the broker subscription is released, and only
 * then are deliveries that arrived after the stop given back (`nack`). That order matters: Kafka cannot commit
 * offsets for a consumer that has already left its group.
 */
export function consumeUntilStopped<T, P = Delivery<T>>(
  deliveries$: Observable<Delivery<T>>,
  stop$: Observable<void>,
  handle: (prepared: P) => Promise<void>,
  prepare: (delivery: Delivery<T>) => P = (delivery) => delivery as P,
): Observable<void> {
  return new Observable<void>((subscriber) => {
    let stopping = false;
    let active = 0;
    const late: Delivery<T>[] = [];
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
          late.push(delivery);
          return;
        }
        active++;
        let prepared: P;
        try {
          prepared = prepare(delivery);
        } catch (error) {
          subscriber.error(error);
          return;
        }
        chain = chain
          // After a failure the subscriber is closed: queued deliveries stay unacked (redelivered).
          .then(() => (subscriber.closed ? undefined : handle(prepared)))
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
      // Given back only after leaving: nacked while still subscribed, they could come straight back.
      for (const delivery of late) delivery.nack().catch(() => undefined);
    };
  });
}
