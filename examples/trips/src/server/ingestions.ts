/**
 * The ingestions a server runs: each with its own event stream (SSE, resumable with
 * `Last-Event-ID`), and one stream of every ingestion's state for the live page.
 */
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { Subject, type Observable } from 'rxjs';
import { describeError, type StatusEvent, type Store } from '@sluice/core';
import { createSseResponder, type Shutdown, type SseResponder } from '@sluice/runtime';
import { ingestFiles, type IngestCounts } from '../ingest.js';
import type { TripSettings } from '../trip.js';

/** The events of one ingestion, in order: started, progress…, rejected…, then done or failed. */
export type IngestionEvent =
  | { type: 'started'; id: string; file: string; bytes: number }
  | { type: 'progress'; id: string; rows: number; bytes: number; percent: number; persisted: number; rejected: number }
  | { type: 'rejected'; id: string; file: string; line: number | null; reason: string; count: number }
  | { type: 'done'; id: string; counts: IngestCounts }
  | { type: 'failed'; id: string; error: string };

/** What the page shows of an ingestion. */
export interface IngestionState {
  id: string;
  file: string;
  state: 'running' | 'done' | 'failed';
  startedAt: string;
  rows: number;
  percent: number;
  counts?: IngestCounts;
  error?: string;
}

interface Ingestion {
  state: IngestionState;
  responder: SseResponder;
}

/** The registry of a server's ingestions. */
export class Ingestions {
  private readonly byId = new Map<string, Ingestion>();
  private readonly states = new Subject<IngestionState>();
  /** Every ingestion's state as it changes (for the page). */
  readonly overview: SseResponder;

  constructor(
    private readonly store: Store,
    private readonly settings: TripSettings,
    private readonly shutdown: Shutdown,
  ) {
    this.overview = createSseResponder<IngestionState>(this.states, { replay: 2000, eventName: () => 'ingestion' });
  }

  responder(id: string): SseResponder | undefined {
    return this.byId.get(id)?.responder;
  }

  /** The states of every ingestion, newest first. */
  list(): IngestionState[] {
    return [...this.byId.values()].map((i) => ({ ...i.state })).reverse();
  }

  /**
   * Starts ingesting `path` (shown as `label`); `spooled` files are deleted when done. Returns the
   * id; events are kept from the first, so a client connecting later misses nothing.
   */
  start(path: string, label: string, bytes: number, spooled: boolean): string {
    const id = randomUUID();
    const events = new Subject<IngestionEvent>();
    const responder = createSseResponder<IngestionEvent>(events, { replay: 5000, isFinal: (e) => e.type === 'done' || e.type === 'failed' });
    const state: IngestionState = { id, file: label, state: 'running', startedAt: new Date().toISOString(), rows: 0, percent: 0 };
    this.byId.set(id, { state, responder });
    const publish = () => this.states.next({ ...state });
    let lastPublished = 0;

    events.next({ type: 'started', id, file: label, bytes });
    publish();
    const run = ingestFiles({ store: this.store, files: [path], settings: this.settings, label: () => label, resume: false });
    const counts = { persisted: 0, rejected: 0 };
    const tracked = this.shutdown.track({ status$: run.status$ as Observable<StatusEvent>, done: run.done, stop: () => run.stop() } as never);
    void tracked;
    run.status$.subscribe({
      next: (event) => {
        if (event.type === 'persisted') counts.persisted = event.total;
        if (event.type === 'rejected') {
          counts.rejected = event.total;
          events.next({ type: 'rejected', id, file: label, line: event.position?.line ?? null, reason: event.reason, count: event.count });
        }
        if (event.type === 'read') {
          const offset = event.position?.offset ?? 0;
          const percent = bytes > 0 ? Math.min(100, Math.round((offset / bytes) * 1000) / 10) : 100;
          state.rows = event.total;
          state.percent = percent;
          events.next({ type: 'progress', id, rows: event.total, bytes: offset, percent, ...counts });
          if (Date.now() - lastPublished > 200) {
            lastPublished = Date.now();
            publish();
          }
        }
      },
      error: () => undefined,
    });
    run.done.then(
      (result) => {
        state.state = 'done';
        state.percent = 100;
        state.rows = result.read;
        state.counts = result;
        events.next({ type: 'done', id, counts: result });
        events.complete();
        publish();
      },
      (error: unknown) => {
        state.state = 'failed';
        state.error = describeError(error);
        events.next({ type: 'failed', id, error: state.error });
        events.complete();
        publish();
      },
    ).finally(() => (spooled ? rm(path, { force: true }) : undefined));
    return id;
  }

  close(): void {
    for (const { responder } of this.byId.values()) responder.close();
    this.overview.close();
    this.states.complete();
  }
}
