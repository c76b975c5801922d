/**
 * The progress view: any pipeline's `status$` drawn for a person. On a terminal, one line per
 * pipeline, redrawn in place a few times a second; elsewhere (a log file, CI, a pipe) one plain
 * line per running pipeline every few seconds and a summary line as each one ends, so a long run
 * is never silent. Retries and failures get lines of their own in both modes. Colours only on a
 * terminal and only when `NO_COLOR` is unset. Passwords are removed from every line.
 *
 * No TTY library: redrawing one block of lines needs two ANSI sequences, written here.
 */
import type { Observable, Subscription } from 'rxjs';
import type { StatusEvent } from '@sluice/core';
import { redact } from '../redact.js';
import { formatDuration, formatProgressLine, paint, type Paint } from './format.js';
import { foldProgress, type PipelineProgress, type ProgressTotal } from './totals.js';

/** Where the view writes: a stream with an optional `isTTY` (stderr by default). */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
}

/** Options of {@link createProgressView}. */
export interface ProgressViewOptions {
  /** Where to draw (default `process.stderr`). */
  stream?: ProgressStream;
  /** Force terminal (redrawn) or plain mode (default: the stream's `isTTY`). */
  tty?: boolean;
  /** Colours on a terminal (default: unless `NO_COLOR` is set). */
  color?: boolean;
  /** Plain mode: ms between lines (default `SLUICE_PROGRESS_INTERVAL_MS`, else 5000). */
  intervalMs?: number;
  /** Terminal mode: least ms between redraws (default 200). */
  redrawMs?: number;
  /** The clock (tests). */
  now?: () => number;
}

/** Options of one tracked status stream. */
export interface TrackOptions {
  /** Totals per pipeline name (bytes of a file, or records), for percent and ETA. */
  totals?: Record<string, ProgressTotal>;
}

/** A progress view; `close()` draws the final state and stops the timers. */
export interface ProgressView {
  /** Draws the pipelines of `status$` until it completes. */
  track(status$: Observable<StatusEvent>, options?: TrackOptions): Subscription;
  /** A line of its own (kept above the redrawn block on a terminal). */
  log(line: string): void;
  /** The pipelines seen so far. */
  readonly pipelines: ReadonlyMap<string, PipelineProgress>;
  /** Draws the final lines and releases timers and subscriptions. Idempotent. */
  close(): void;
}

function intervalFromEnv(): number {
  const value = Number(process.env.SLUICE_PROGRESS_INTERVAL_MS);
  return Number.isFinite(value) && value >= 10 ? value : 5000;
}

/** Creates a progress view; track one or more `status$` with it. */
export function createProgressView(options: ProgressViewOptions = {}): ProgressView {
  const stream = options.stream ?? process.stderr;
  const tty = options.tty ?? stream.isTTY === true;
  const colors: Paint = paint(tty && (options.color ?? process.env.NO_COLOR === undefined));
  const now = options.now ?? Date.now;
  const intervalMs = options.intervalMs ?? intervalFromEnv();
  const redrawMs = options.redrawMs ?? 200;
  const pipelines = new Map<string, PipelineProgress>();
  const subscriptions: Subscription[] = [];
  const startedAt = now();
  let drawnLines = 0;
  let lastDraw = 0;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;

  const write = (text: string) => stream.write(redact(text));

  /** Terminal: erases the block drawn last. */
  const erase = () => {
    if (drawnLines > 0) write(`\x1b[${drawnLines}F\x1b[0J`);
    drawnLines = 0;
  };
  /** Terminal: draws every pipeline's line. */
  const redraw = () => {
    erase();
    const at = now();
    const lines = [...pipelines.values()].map((entry) => formatProgressLine(entry, at, colors));
    if (lines.length > 0) write(`${lines.join('\n')}\n`);
    drawnLines = lines.length;
    lastDraw = at;
  };
  /** Plain: what each pipeline did since the last tick printed it (so idle ones do not repeat). */
  const printed = new Map<string, number>();
  const tick = () => {
    const at = now();
    let lines = 0;
    for (const entry of pipelines.values()) {
      const done = entry.read + entry.published + entry.persisted + entry.rejected + entry.retries;
      if (entry.state !== 'running' || printed.get(entry.pipeline) === done) continue;
      printed.set(entry.pipeline, done);
      write(`[${formatDuration(at - startedAt)}] ${formatProgressLine(entry, at, colors)}\n`);
      lines++;
    }
    if (lines === 0) {
      const waiting = [...pipelines.values()].filter((entry) => entry.state === 'running').map((entry) => entry.pipeline);
      if (waiting.length > 0) write(`[${formatDuration(at - startedAt)}] no progress since the last line; still running: ${waiting.join(', ')}\n`);
    }
  };
  const log = (line: string) => {
    if (tty) {
      erase();
      write(`${line}\n`);
      redraw();
    } else write(`${line}\n`);
  };
  const ensureTimer = () => {
    if (timer || closed) return;
    timer = setInterval(tty ? redraw : tick, tty ? Math.max(redrawMs, 250) : intervalMs);
    timer.unref();
  };
  const stopTimerIfIdle = () => {
    if (timer && [...pipelines.values()].every((entry) => entry.state !== 'running')) {
      clearInterval(timer);
      timer = undefined;
    }
  };

  const onEvent = (event: StatusEvent, totals?: Record<string, ProgressTotal>) => {
    foldProgress(pipelines, event, totals?.[event.pipeline]);
    const entry = pipelines.get(event.pipeline)!;
    if (event.type === 'retry') {
      log(colors.yellow(`${event.pipeline}: retrying ${event.operation} (attempt ${event.attempt}, in ${event.delayMs} ms): ${event.error}`));
    } else if (event.type === 'failed') {
      log(colors.red(`${event.pipeline}: FAILED: ${event.error}`));
    }
    if (event.type === 'done' || event.type === 'failed') {
      if (!tty) write(`[${formatDuration(now() - startedAt)}] ${formatProgressLine(entry, now(), colors)}\n`);
      stopTimerIfIdle();
    } else ensureTimer();
    if (tty && (event.type === 'done' || event.type === 'failed' || now() - lastDraw >= redrawMs)) redraw();
  };

  return {
    pipelines,
    log,
    track(status$, trackOptions = {}) {
      const subscription = status$.subscribe({ next: (event) => onEvent(event, trackOptions.totals), error: () => undefined });
      subscriptions.push(subscription);
      return subscription;
    },
    close() {
      if (closed) return;
      closed = true;
      for (const subscription of subscriptions) subscription.unsubscribe();
      if (timer) clearInterval(timer);
      timer = undefined;
      if (tty) redraw();
      else {
        // Pipelines that never reported an end get their last state, so the log ends with totals.
        const at = now();
        for (const entry of pipelines.values()) if (entry.state === 'running') write(`[${formatDuration(at - startedAt)}] ${formatProgressLine(entry, at, colors)}\n`);
      }
    },
  };
}

/** Shortcut: a view of one `status$` that closes itself when the stream completes. */
export function showProgress(status$: Observable<StatusEvent>, options: ProgressViewOptions & TrackOptions = {}): ProgressView {
  const view = createProgressView(options);
  view.track(status$, options.totals ? { totals: options.totals } : {}).add(() => view.close());
  return view;
}
