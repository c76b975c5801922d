/** Turns a pipeline's work observable into a `PipelineRun`: done promise, stop, signals. */
import { Subject, type Observable } from 'rxjs';
import type { PipelineRun, PipelineSummary } from '../types.js';
import type { StatusReporter } from './status.js';

/** Options every pipeline takes for its run. */
export interface RunOptions {
  /**
   * Stop gracefully on SIGINT/SIGTERM: stop reading, drain and ack in-flight work, then end
   * (default false for library use; the CLIs turn it on).
   */
  handleSignals?: boolean;
}

/**
 * Starts `work(stop$)` on the next tick (so callers can subscribe to `status$` first) and wires
 * stop, signals and the final `done`/`failed` events. `work` must complete after `stop$` emits
 * once it has drained what it holds.
 */
export function startRun(
  reporter: StatusReporter,
  work: (stop$: Observable<void>) => Observable<unknown>,
  options: RunOptions = {},
): PipelineRun {
  const stop$ = new Subject<void>();
  let stopped = false;
  const stop = (): Promise<PipelineSummary> => {
    if (!stopped) {
      stopped = true;
      stop$.next();
      stop$.complete();
    }
    return done;
  };
  const onSignal = () => void stop();
  if (options.handleSignals) {
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  }
  const done = new Promise<PipelineSummary>((resolve, reject) => {
    setImmediate(() => {
      reporter.emit({ type: 'started' });
      work(stop$).subscribe({
        error: (error: unknown) => {
          cleanup();
          reporter.failed(error, stopped);
          reject(error);
        },
        complete: () => {
          cleanup();
          resolve(reporter.done(stopped));
        },
      });
    });
  });
  // A failed run must not become an unhandled rejection when the caller only watches status$.
  done.catch(() => undefined);
  function cleanup() {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  return { status$: reporter.status$, done, stop };
}
