/**
 * Answers for failed requests. A client's mistake (an {@link HttpError}) is answered as it is; a
 * failure of the server or a service behind it is answered 503 (may be tried again) or 500 with a
 * short message and a request id, while the detail — internal messages, addresses, stack — goes to
 * the log under that id, never to the client.
 */
import { randomBytes } from 'node:crypto';
import { RetryExhaustedError, SluiceError, describeError } from '@sluice/core';
import { redact } from '../redact.js';
import { HttpError } from '../errors.js';

/** A new request id: 12 URL-safe characters. */
export function newRequestId(): string {
  return randomBytes(9).toString('base64url');
}

/** Where the detail of server errors goes: one line per failed request (default: stderr). */
export type ErrorLog = (line: string) => void;

/** The default log: one line on stderr. */
export const stderrLog: ErrorLog = (line) => void process.stderr.write(`${line}\n`);

/** What to answer. */
export interface ErrorAnswer {
  status: number;
  headers: Record<string, string>;
  body: Record<string, unknown>;
}

/** `error` with its causes, one after another, for the log. */
function detailOf(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && depth < 5; depth++) {
    parts.push(describeError(current));
    current = current instanceof Error ? (current as { cause?: unknown }).cause : undefined;
  }
  const stack = error instanceof Error && error.stack ? `\n${error.stack.split('\n').slice(1, 6).join('\n')}` : '';
  return redact(parts.join(' ← caused by ') + stack);
}

/**
 * The answer to `error`: an `HttpError` as it is (with `Connection: close` when it asks for it);
 * a retriable failure (or one whose retries ran out) 503 with `Retry-After`; anything else 500.
 * Both 5xx carry `requestId`, and log `what` failed with the full detail under that id.
 */
export function errorAnswer(error: unknown, context: { requestId?: string; what?: string; log?: ErrorLog } = {}): ErrorAnswer {
  if (error instanceof HttpError && error.status < 500) {
    return { status: error.status, headers: { ...error.headers, ...(error.close ? { connection: 'close' } : {}) }, body: error.toJSON() };
  }
  const requestId = context.requestId ?? newRequestId();
  const log = context.log ?? stderrLog;
  const unavailable = (error instanceof SluiceError && error.retriable) || error instanceof RetryExhaustedError || (error instanceof HttpError && error.status === 503);
  log(`${new Date().toISOString()} request ${requestId}${context.what ? ` (${context.what})` : ''} failed: ${detailOf(error)}`);
  if (unavailable) {
    return {
      status: 503,
      headers: { 'retry-after': '5' },
      body: { error: 'a service behind this server is unavailable: try again later', requestId },
    };
  }
  return { status: 500, headers: {}, body: { error: 'internal error: the server log has the detail under this request id', requestId } };
}
