/** Checkpoints that stay safe when several transactions of one load are in flight. */
import type { Position } from '../types.js';

/**
 * The order of commits with `writers` batches in flight: batch k waits until every batch up to
 * k - writers has committed, and carries the position of batch k - writers as its checkpoint, so
 * the saved checkpoint is never ahead of a batch that has not committed, whatever order the
 * transactions end in.
 */
export function commitOrder(writers: number) {
  type Pending = { promise: Promise<void>; resolve: () => void; reject: (error: unknown) => void; done: boolean };
  const positions = new Map<number, Position | undefined>();
  const pending = new Map<number, Pending>();
  /** Every batch below it has committed. */
  let floor = 0;
  let lastSeq = -1;
  const entry = (seq: number): Pending => {
    let found = pending.get(seq);
    if (!found) {
      let resolve!: () => void;
      let reject!: (error: unknown) => void;
      const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
      promise.catch(() => undefined); // awaited only by later batches, if they come
      pending.set(seq, (found = { promise, resolve, reject, done: false }));
    }
    return found;
  };
  return {
    /** Records batch `seq`'s last position (batches are prepared in order); returns the checkpoint it may carry. */
    checkpointOf(seq: number, last: Position | undefined): Position | undefined {
      positions.set(seq, last);
      lastSeq = seq;
      entry(seq);
      const behind = positions.get(seq - writers);
      positions.delete(seq - writers);
      return behind;
    },
    /** Waits until every batch up to seq - writers has committed (throws the error of one that failed). */
    async before(seq: number): Promise<void> {
      for (let j = floor; j <= seq - writers; j++) await pending.get(j)?.promise;
    },
    committed(seq: number): void {
      const done = entry(seq);
      done.done = true;
      done.resolve();
      while (pending.get(floor)?.done) pending.delete(floor++);
    },
    failed: (seq: number, error: unknown) => entry(seq).reject(error),
    /** The last batch's position (for the checkpoint written once all have committed). */
    last: (): Position | undefined => (lastSeq < 0 ? undefined : positions.get(lastSeq)),
  };
}
