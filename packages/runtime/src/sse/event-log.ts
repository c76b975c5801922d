/**
 * A numbered, bounded log of a status stream: every event gets the next id (1, 2, …); the latest
 * `capacity` events are kept so a client that reconnects with `Last-Event-ID` gets what it missed.
 * The log holds one subscription to the stream for all clients, released when the stream
 * completes or the log is closed.
 */
import { Subject, type Observable, type Subscription } from 'rxjs';

/** An event with its id. */
export interface Numbered<T> {
  id: number;
  event: T;
}

export class EventLog<T> {
  private readonly kept: Numbered<T>[] = [];
  private readonly live = new Subject<Numbered<T>>();
  private readonly source: Subscription;
  private nextId = 1;
  private ended = false;

  constructor(
    status$: Observable<T>,
    /** Most events kept for replay. */
    private readonly capacity: number,
  ) {
    this.source = status$.subscribe({
      next: (event) => this.append(event),
      error: () => this.end(),
      complete: () => this.end(),
    });
  }

  /** Whether the stream has ended (no more events will come). */
  get complete(): boolean {
    return this.ended;
  }

  /** Id of the newest event, 0 before the first. */
  get lastId(): number {
    return this.nextId - 1;
  }

  /** Events with an id greater than `afterId`, oldest first, and how many of them are no longer kept. */
  since(afterId: number): { events: Numbered<T>[]; missed: number } {
    const oldest = this.kept[0]?.id ?? this.nextId;
    const missed = Math.max(0, oldest - afterId - 1);
    return { events: this.kept.filter((entry) => entry.id > afterId), missed };
  }

  /** New events from now on; completes when the stream ends. */
  get updates(): Observable<Numbered<T>> {
    return this.live.asObservable();
  }

  /** Releases the stream's subscription; clients' `updates` complete. */
  close(): void {
    this.source.unsubscribe();
    this.end();
  }

  private append(event: T): void {
    const entry = { id: this.nextId++, event };
    this.kept.push(entry);
    if (this.kept.length > this.capacity) this.kept.splice(0, this.kept.length - this.capacity);
    this.live.next(entry);
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    this.live.complete();
  }
}
