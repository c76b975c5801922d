/** Options shared by the pipelines, and their defaults. */
import type { RetryPolicy } from '../retry.js';
import type { RunOptions } from './run.js';
import type { StatusReporter } from './status.js';
import type { WriteRetry } from './write-isolating.js';

/** Batching, buffering and retry settings every pipeline takes. */
export interface PipelineOptions extends RunOptions {
  /** Name in status events (default: derived from the source or topic). */
  name?: string;
  /** Records per batch at most (default 1000). */
  batchSize?: number;
  /** A batch closes after this many ms even if not full (default 200). */
  batchMs?: number;
  /**
   * Records read ahead of the slowest stage at most, the memory bound (default 3 × batchSize: one
   * batch in the store or broker, one prepared behind it, one being read; with load's `writers`,
   * (writers + 2) × batchSize).
   */
  maxBuffered?: number;
  /** Retry budget for transient failures (default: `defaultRetryPolicy`). */
  retry?: Partial<RetryPolicy>;
}

/** The batching options with defaults filled in; `inFlight` batches may be in the store at once (load's `writers`). */
export function batching(options: PipelineOptions, inFlight = 1): { batchSize: number; batchMs: number; maxBuffered: number } {
  const batchSize = options.batchSize ?? 1000;
  return { batchSize, batchMs: options.batchMs ?? 200, maxBuffered: options.maxBuffered ?? batchSize * (inFlight + 2) };
}

/** Retry options that report every retry as a status event. */
export function retrying(options: PipelineOptions, reporter: StatusReporter): WriteRetry {
  return { ...(options.retry ? { policy: options.retry } : {}), onRetry: (notice) => reporter.retry(notice) };
}
