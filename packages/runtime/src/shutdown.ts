/**
 * Graceful shutdown for a command: the first SIGINT or SIGTERM stops every tracked pipeline
 * (stop reading, drain in-flight batches, ack) and resolves `signalled`; the command then returns
 * and `close()` closes the adapters, newest first. A second signal exits at once (status 130).
 */
import { describeError, type PipelineRun, type PipelineSummary } from '@sluice/core';
import { redact } from './redact.js';

/** Anything with an async `close()` (brokers, stores, servers). */
export interface Closable {
  close(): Promise<unknown> | unknown;
}

/** Options of {@link createShutdown}. */
export interface ShutdownOptions {
  /** Signals handled (default SIGINT and SIGTERM). */
  signals?: readonly NodeJS.Signals[];
  /** Where notices go (default stderr). */
  log?: (line: string) => void;
  /** Called on the second signal (default `process.exit(130)`). */
  forceExit?: () => void;
}

/** The shutdown of one command. */
export interface Shutdown {
  /** Stops `run` on the first signal; returns it. */
  track<R extends PipelineRun>(run: R): R;
  /** Closes `resource` in `close()` (newest first); returns it. */
  own<R extends Closable>(resource: R): R;
  /** Whether a signal has come. */
  readonly stopping: boolean;
  /** Resolves with the signal's name when the first signal comes. */
  readonly signalled: Promise<NodeJS.Signals>;
  /** Stops the tracked pipelines as a signal would (e.g. when a server is told to stop). */
  stop(): Promise<PipelineSummary[]>;
  /** Closes every owned resource once, newest first; errors are logged, not thrown. Removes the handlers. */
  close(): Promise<void>;
}

/** Installs the signal handlers of one command. */
export function createShutdown(options: ShutdownOptions = {}): Shutdown {
  const signals = options.signals ?? ['SIGINT', 'SIGTERM'];
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const forceExit = options.forceExit ?? (() => process.exit(130));
  const runs = new Set<PipelineRun>();
  const resources: Closable[] = [];
  let stopping = false;
  let closed = false;
  let resolveSignal!: (signal: NodeJS.Signals) => void;
  const signalled = new Promise<NodeJS.Signals>((resolve) => (resolveSignal = resolve));

  const stop = () => Promise.all([...runs].map((run) => run.stop()));
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      log(`${signal} again: exiting at once (unacked work will be redelivered)`);
      forceExit();
      return;
    }
    stopping = true;
    log(`${signal}: stopping — draining in-flight batches and acking; ${signal} again exits at once`);
    resolveSignal(signal);
    void stop().catch(() => undefined);
  };
  for (const signal of signals) process.on(signal, onSignal);

  return {
    track(run) {
      runs.add(run);
      run.done.then(
        () => runs.delete(run),
        () => runs.delete(run),
      );
      if (stopping) void run.stop().catch(() => undefined);
      return run;
    },
    own(resource) {
      resources.push(resource);
      return resource;
    },
    get stopping() {
      return stopping;
    },
    signalled,
    stop,
    async close() {
      if (closed) return;
      closed = true;
      for (const signal of signals) process.off(signal, onSignal);
      for (const resource of resources.reverse()) {
        try {
          await resource.close();
        } catch (error) {
          log(`closing failed: ${redact(describeError(error))}`);
        }
      }
    },
  };
}
