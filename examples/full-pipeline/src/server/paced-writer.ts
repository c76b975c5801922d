/**
 * Writes lines to an HTTP response with backpressure from the socket and optional replay pacing.
 * It is the `FlowControl` of the file source behind a streaming endpoint, so a slow client
 * slows the file read instead of growing memory.
 */
import type { ServerResponse } from 'node:http';
import type { FlowControl } from '@sluice/core';

/** A queued line and, for pacing, the event time it represents (ms). */
interface Queued {
  text: string;
  time: number | undefined;
}

/** Options of a paced writer. */
export interface PacedWriterOptions {
  /** Replay speed relative to event time (3600 = an hour per second); undefined = no pacing. */
  speed?: number;
  /** Lines queued before the source is asked to wait (default 2000). */
  highWater?: number;
}

/**
 * Queues lines and writes them in order, waiting for the socket's `drain` and, with a speed, for
 * each line's due time. As `FlowControl` it holds the source back while `highWater` lines wait.
 */
export class PacedWriter implements FlowControl {
  private queue: Queued[] = [];
  private head = 0;
  private waiting: (() => void) | undefined;
  private wake: (() => void) | undefined;
  private ended = false;
  private closed = false;
  private firstEventTime: number | undefined;
  private startedAt = 0;
  readonly finished: Promise<void>;

  constructor(
    private readonly res: ServerResponse,
    private readonly options: PacedWriterOptions = {},
  ) {
    res.once('close', () => {
      this.closed = true;
      this.wake?.();
      this.waiting?.();
    });
    this.finished = this.run();
  }

  ready(): Promise<void> | undefined {
    if (this.queue.length - this.head < (this.options.highWater ?? 2000) || this.closed) return undefined;
    return new Promise((resolve) => (this.waiting = resolve));
  }

  /** Queues a line; `time` is its event time in ms (used only when pacing). */
  push(text: string, time?: number): void {
    this.queue.push({ text, time });
    this.wake?.();
  }

  /** No more lines will come; `finished` resolves once everything queued is written. */
  end(): void {
    this.ended = true;
    this.wake?.();
  }

  /** Whether the client went away. */
  get isClosed(): boolean {
    return this.closed;
  }

  private async run(): Promise<void> {
    while (!this.closed) {
      if (this.head === this.queue.length) {
        if (this.ended) break;
        this.compact();
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = undefined;
        continue;
      }
      const item = this.queue[this.head++]!;
      if (this.head > 4096) this.compact();
      await this.pace(item.time);
      if (!this.res.write(item.text)) await this.drained();
      if (this.waiting && this.queue.length - this.head < (this.options.highWater ?? 2000) / 2) {
        const resolve = this.waiting;
        this.waiting = undefined;
        resolve();
      }
    }
    if (!this.closed) this.res.end();
  }

  /** Resolves on the next 'drain' or 'close', removing both listeners either way. */
  private drained(): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.res.off('drain', done);
        this.res.off('close', done);
        resolve();
      };
      this.res.on('drain', done);
      this.res.on('close', done);
    });
  }

  private compact(): void {
    this.queue = this.queue.slice(this.head);
    this.head = 0;
  }

  private async pace(time: number | undefined): Promise<void> {
    const { speed } = this.options;
    if (!speed || time === undefined || !Number.isFinite(time)) return;
    if (this.firstEventTime === undefined) {
      this.firstEventTime = time;
      this.startedAt = Date.now();
      return;
    }
    const due = this.startedAt + (time - this.firstEventTime) / speed;
    const wait = due - Date.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
  }
}
