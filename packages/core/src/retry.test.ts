import { describe, expect, it } from 'vitest';
import { RetryExhaustedError, SluiceError } from './errors.js';
import { backoffDelay, defaultRetryPolicy, retry } from './retry.js';

const fast = { initialDelayMs: 1, maxDelayMs: 4, multiplier: 2 };

describe('backoffDelay', () => {
  it('grows exponentially, is capped, and draws within [cap/2, cap]', () => {
    const p = defaultRetryPolicy;
    expect(backoffDelay(1, p, 0)).toBe(50);
    expect(backoffDelay(1, p, 0.999999)).toBe(100);
    expect(backoffDelay(4, p, 1)).toBe(800);
    expect(backoffDelay(30, p, 0)).toBe(5000);
    expect(backoffDelay(30, p, 1)).toBe(10_000);
  });
});

describe('retry', () => {
  it('retries retriable errors until success and reports each retry', async () => {
    const notices: number[] = [];
    let calls = 0;
    const value = await retry(
      async () => {
        if (++calls < 3) throw new SluiceError('flaky', { retriable: true });
        return 'ok';
      },
      { operation: 'op', policy: fast, onRetry: (n) => notices.push(n.attempt) },
    );
    expect(value).toBe('ok');
    expect(calls).toBe(3);
    expect(notices).toEqual([1, 2]);
  });

  it('does not retry errors that are not retriable', async () => {
    let calls = 0;
    const error = new SluiceError('bad input');
    await expect(retry(async () => { calls++; throw error; }, { operation: 'op', policy: fast })).rejects.toBe(error);
    expect(calls).toBe(1);
  });

  it('gives up after maxAttempts with RetryExhaustedError carrying the cause', async () => {
    const cause = new SluiceError('down', { retriable: true });
    const failure = retry(async () => { throw cause; }, { operation: 'publish to t', policy: { ...fast, maxAttempts: 3 } });
    await expect(failure).rejects.toBeInstanceOf(RetryExhaustedError);
    await failure.catch((error: RetryExhaustedError) => {
      expect(error.attempts).toBe(3);
      expect(error.cause).toBe(cause);
      expect(error.retriable).toBe(false);
      expect(error.message).toContain('publish to t');
    });
  });
});

describe('retry with an abort signal', () => {
  it('rethrows the last error when aborted during the wait, without calling fn again', async () => {
    const controller = new AbortController();
    let calls = 0;
    const error = new SluiceError('down', { retriable: true });
    const failure = retry(async () => { calls++; throw error; }, { operation: 'op', policy: { initialDelayMs: 10_000, maxDelayMs: 10_000 }, signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    await expect(failure).rejects.toBe(error);
    expect(calls).toBe(1);
  });
});
