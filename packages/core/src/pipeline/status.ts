/** Counts and status events of one pipeline run. */
import { ReplaySubject, type Observable } from 'rxjs';
import { describeError, isRetriable } from '../errors.js';
import type { RetryNotice } from '../retry.js';
import type { PipelineSummary, Position, StatusEvent } from '../types.js';

/** Distributes `Omit` over the members of a union. */
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
/** A status event before the reporter stamps it with pipeline name and time. */
export type StatusPayload = DistributiveOmit<StatusEvent, 'pipeline' | 'at'>;

/**
 * Keeps the running counts and emits the matching events. `status$` replays the latest event to
 * late subscribers, so an SSE client that connects mid-run gets the current state at once.
 */
export class StatusReporter {
  private readonly subject = new ReplaySubject<StatusEvent>(1);
  readonly status$: Observable<StatusEvent> = this.subject.asObservable();
  readonly counts = { read: 0, published: 0, persisted: 0, rejected: 0 };
  position: Position | undefined;

  constructor(readonly pipeline: string) {}

  emit(event: StatusPayload): void {
    this.subject.next({ ...event, pipeline: this.pipeline, at: Date.now() } as StatusEvent);
  }

  read(count: number, position?: Position): void {
    if (count === 0) return;
    this.counts.read += count;
    this.emit({ type: 'read', count, total: this.counts.read, ...(position ? { position } : {}) });
  }

  published(count: number): void {
    if (count === 0) return;
    this.counts.published += count;
    this.emit({ type: 'published', count, total: this.counts.published });
  }

  persisted(count: number): void {
    if (count === 0) return;
    this.counts.persisted += count;
    this.emit({ type: 'persisted', count, total: this.counts.persisted });
  }

  /** Counts rejected records, one event per distinct reason. */
  rejected(letters: readonly { reason: string; position?: Position }[]): void {
    if (letters.length === 0) return;
    const byReason = new Map<string, { count: number; position?: Position }>();
    for (const letter of letters) {
      const entry = byReason.get(letter.reason) ?? { count: 0, ...(letter.position ? { position: letter.position } : {}) };
      entry.count++;
      byReason.set(letter.reason, entry);
    }
    for (const [reason, { count, position }] of byReason) {
      this.counts.rejected += count;
      this.emit({ type: 'rejected', count, total: this.counts.rejected, reason, ...(position ? { position } : {}) });
    }
  }

  /** A retry notice from the retry module, as a status event (faults are visible, not silent). */
  retry(notice: RetryNotice): void {
    this.emit({
      type: 'retry',
      operation: notice.operation,
      attempt: notice.attempt,
      delayMs: notice.delayMs,
      error: describeError(notice.error),
    });
  }

  summary(stopped: boolean): PipelineSummary {
    return { ...this.counts, stopped, ...(this.position ? { position: this.position } : {}) };
  }

  done(stopped: boolean): PipelineSummary {
    const summary = this.summary(stopped);
    this.emit({ type: 'done', summary });
    this.subject.complete();
    return summary;
  }

  failed(error: unknown, stopped: boolean): void {
    this.emit({ type: 'failed', error: describeError(error), retriable: isRetriable(error), summary: this.summary(stopped) });
    this.subject.complete();
  }
}
