/**
 * Maps what node-redis throws to `BrokerError`: lost connections and a busy or loading server are
 * retriable; error replies about the data (wrong type, missing group, syntax) are not. Also the
 * codec's own error, for an envelope that cannot be written.
 */
import { BrokerError, SluiceError, describeError } from '@sluice/core';
import {
  ClientOfflineError,
  ConnectionTimeoutError,
  ErrorReply,
  MultiErrorReply,
  ReconnectStrategyError,
  SocketClosedUnexpectedlyError,
  SocketTimeoutError,
  TimeoutError,
} from 'redis';

/** node-redis errors that mean the connection is gone or not yet back. */
const CONNECTION_ERRORS = [
  SocketClosedUnexpectedlyError,
  ClientOfflineError,
  ConnectionTimeoutError,
  SocketTimeoutError,
  ReconnectStrategyError,
  TimeoutError,
];

/** Node socket error codes that mean the connection is gone. */
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);

/** Redis error reply prefixes that say "try again later". */
const TRANSIENT_REPLIES = ['LOADING', 'BUSY', 'TRYAGAIN', 'MASTERDOWN', 'CLUSTERDOWN', 'OOM'];

/** Whether trying the same command again may succeed. */
export function isTransientRedisError(error: unknown): boolean {
  if (error instanceof SluiceError) return error.retriable;
  if (error instanceof MultiErrorReply) return error.replies.every((reply) => isTransientRedisError(reply));
  if (error instanceof ErrorReply) return TRANSIENT_REPLIES.some((prefix) => error.message.startsWith(prefix));
  if (!(error instanceof Error)) return false;
  const code = (error as NodeJS.ErrnoException).code;
  return CONNECTION_ERRORS.some((type) => error instanceof type) || (code !== undefined && SOCKET_CODES.has(code));
}

/** Whether the error is Redis saying that the consumer group (or its stream) does not exist. */
export function isNoGroupError(error: unknown): boolean {
  return error instanceof ErrorReply && error.message.startsWith('NOGROUP');
}

/**
 * A `BrokerError` for a failed `operation` on `topic`, saying what failed and what to do.
 * A `BrokerError` passes through unchanged.
 */
export function toBrokerError(error: unknown, operation: string, topic: string): BrokerError {
  if (error instanceof BrokerError) return error;
  const retriable = isTransientRedisError(error);
  const advice = retriable
    ? 'The connection to Redis was lost or Redis is busy; retry (the client reconnects by itself).'
    : 'Check the Redis server and the key; retrying the same call will not help.';
  return new BrokerError(`Redis ${operation} on topic "${topic}" failed: ${describeError(error)}. ${advice}`, operation, topic, {
    retriable,
    cause: error,
  });
}

/** The error every call gets after `close()`. */
export function closedError(operation: string, topic: string): BrokerError {
  return new BrokerError(
    `Redis ${operation} on topic "${topic}" failed: the broker is closed. Create a new broker with createRedisBroker().`,
    operation,
    topic,
  );
}

/** Why an envelope cannot be written to a stream (the broker wraps it in a `BrokerError`). */
export class EnvelopeEncodeError extends Error {}
