/**
 * Thins a status stream for a costly hop (IPC to the API process): the count events of a pipeline
 * (`read`, `published`, `persisted`) are held and sent at most once per interval, as one event
 * whose `count` is the sum of those it stands for and whose `total` and `position` are the
 * latest. Sums and totals stay exact; every other event goes at once, after the counts it follows.
 */
import type { StatusEvent } from '@sluice/core';

type CountEvent = Extract<StatusEvent, { type: 'read' | 'published' | 'persisted' }>;

const isCount = (event: StatusEvent): event is CountEvent => event.type === 'read' || event.type === 'published' || event.type === 'persisted';

/** A coalescer: `push` events in, `flush` what is held (at the end). */
export interface Coalescer {
  push(event: StatusEvent): void;
  flush(): void;
}

export function coalesceCounts(send: (event: StatusEvent) => void, everyMs: number, now: () => number = Date.now): Coalescer {
  /** Held count events by pipeline and type, in arrival order. */
  const held = new Map<string, CountEvent>();
  let lastFlush = now();
  const flush = () => {
    for (const event of held.values()) send(event);
    held.clear();
    lastFlush = now();
  };
  return {
    push(event) {
      if (!isCount(event)) {
        flush();
        send(event);
        return;
      }
      const id = `${event.type}\u0000${event.pipeline}`;
      const before = held.get(id);
      held.set(id, before ? ({ ...event, count: before.count + event.count } as CountEvent) : event);
      if (now() - lastFlush >= everyMs) flush();
    },
    flush,
  };
}
