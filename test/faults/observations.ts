/**
 * What the worker processes of a fault run printed, read back: redeliveries, and which processes
 * reported each fault in `status$` as a `retry` event.
 */
import type { CrashOutcome, WorkerRecord } from '../crash/harness.js';
import type { InjectedFault } from '../crash/faults.js';

/** Envelopes handed to consumers in all, and how many of them came with `attempt > 1`. */
export function deliveries(outcome: CrashOutcome): { envelopes: number; retried: number } {
  let envelopes = 0;
  let retried = 0;
  for (const event of outcome.workers.flatMap((w) => w.events)) {
    if (event.type !== 'delivery') continue;
    envelopes += Number(event.count);
    if (Number(event.attempt) > 1) retried += Number(event.count);
  }
  return { envelopes, retried };
}

/** A process a fault was visible to, and the retries it reported from the fault on. */
export interface Exposure {
  worker: string;
  retries: number;
  /** The operations it retried, e.g. `write to crash_x`, `ack on crash_y`. */
  operations: string[];
}

/**
 * The processes that must have run into a server fault, with the `retry` events each reported
 * from the fault's start on:
 * - PostgreSQL down: the consumers holding a delivery not yet persisted when it came back (they
 *   were writing, or waiting to write, while it was away);
 * - broker unreachable: the producer if it published both before and after the outage, and the
 *   consumers that took deliveries both before and after (each polls its lag through the broker
 *   every 2 s, and the outage is longer).
 */
export function exposures(outcome: CrashOutcome, fault: InjectedFault): Exposure[] {
  const exposed = (w: WorkerRecord) =>
    fault.kind === 'restart-postgres'
      ? w.role === 'consumer' && pendingAt(w, fault.upAt) > 0
      : workedAt(w, (at) => at < fault.downAt) && workedAt(w, (at) => at > fault.upAt);
  return outcome.workers.filter(exposed).map((w) => {
    const retries = w.events.filter((e) => e.type === 'retry' && Number(e.at) >= fault.startedAt);
    return { worker: w.name, retries: retries.length, operations: [...new Set(retries.map((e) => String(e.operation)))] };
  });
}

/** Deliveries a consumer had taken and not yet persisted at `time` (each delivery ends in one `persisted` event). */
function pendingAt(w: WorkerRecord, time: number): number {
  const before = (type: string) => w.events.filter((e) => e.type === type && Number(e.at) <= time).length;
  return before('delivery') - before('persisted');
}

/** Whether the worker published or took a delivery at a moment that `when` accepts. */
function workedAt(w: WorkerRecord, when: (at: number) => boolean): boolean {
  const work = w.role === 'producer' ? 'published' : 'delivery';
  return w.events.some((e) => e.type === work && when(Number(e.at)));
}

/** What each worker did from 2 s before a fault to 2 s after it, for a failure message. */
export function timeline(outcome: CrashOutcome, fault: InjectedFault): string {
  const from = fault.startedAt - 2000;
  const to = fault.endedAt + 2000;
  const lines = outcome.workers.map((w) => {
    const events = w.events
      .filter((e) => Number(e.at) >= from && Number(e.at) <= to)
      .map((e) => `${e.type}${e.count !== undefined ? `(${String(e.count)})` : ''}@${Number(e.at) - fault.startedAt}`);
    return `${w.name}: ${events.join(' ') || 'nothing'}`;
  });
  return `times in ms from the fault's start; down at ${fault.downAt - fault.startedAt}, up at ${fault.upAt - fault.startedAt}, ended at ${fault.endedAt - fault.startedAt}\n${lines.join('\n')}`;
}
