/**
 * Retries with exponential backoff and full jitter, for errors marked retriable only.
 * `backoffDelay` is pure; `retry` adds the waiting and is the one place that loops.
 */
import { RetryExhaustedError, isRetriable } from './errors.js';

/** How hard to retry. */
export interface RetryPolicy {
  /** Attempts in all, the first included (default 8). */
  maxAttempts: number;
  /** Delay before the second attempt, in ms (default 100). */
  initialDelayMs: number;
  /** Upper bound of one delay, in ms (default 10 000). */
  maxDelayMs: number;
  /** Growth per attempt (default 2). */
  multiplier: number;
}

/** Defaults: 8 attempts, 100 ms doubling up to 10 s — about half a minute of patience. */
export const defaultRetryPolicy: RetryPolicy = {
  maxAttempts: 8,
  initialDelayMs: 100,
  maxDelayMs: 10_000,
  multiplier: 2,
};

/**
 * Delay before attempt `attempt + 1` after `attempt` failures (1-based): a uniform draw in
 * [cap/2, cap] where cap = min(maxDelay, initial × multiplier^(attempt-1)). `random` is in [0, 1).
 */
export function backoffDelay(attempt: number, policy: RetryPolicy, random: number): number {
  const cap = Math.min(policy.maxDelayMs, policy.initialDelayMs * policy.multiplier ** (attempt - 1));
  return Math.round(cap / 2 + (cap / 2) * random);
}

/** What `retry` tells its caller about each failed attempt that will be retried. */
export interface RetryNotice {
  operation: string;
  attempt: number;
  delayMs: number;
  error: unknown;
}

/** Options of one `retry` call. */
export interface RetryOptions {
  /** Name of the operation, for errors and status events. */
  operation: string;
  policy?: Partial<RetryPolicy>;
  /** Called before each wait. */
  onRetry?: (notice: RetryNotice) => void;
  /** Decides what is retriable (default: `isRetriable`). */
  retriable?: (error: unknown) => boolean;
  /** Aborting stops waiting and rethrows the last error. */
  signal?: AbortSignal;
  /** Source of randomness in [0, 1) (default `Math.random`). */
  random?: () => number;
}

/**
 * Runs `fn` until it succeeds. A non-retriable error is rethrown at once; a retriable one is
 * retried with backoff until `maxAttempts`, then `RetryExhaustedError` is thrown.
 */
export async function retry<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const policy = { ...defaultRetryPolicy, ...options.policy };
  const canRetry = options.retriable ?? isRetriable;
  const random = options.random ?? Math.random;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (error) {
      if (!canRetry(error) || options.signal?.aborted) throw error;
      if (attempt >= policy.maxAttempts) throw new RetryExhaustedError(options.operation, attempt, error);
      const delayMs = backoffDelay(attempt, policy, random());
      options.onRetry?.({ operation: options.operation, attempt, delayMs, error });
      await sleep(delayMs, options.signal);
      if (options.signal?.aborted) throw error;
    }
  }
}

/** Waits `ms`, or less if the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
  });
}
