/**
 * Errors of the RabbitMQ broker: amqplib failures become `RabbitMqBrokerError`s (a `BrokerError`),
 * retriable when the connection or channel was lost or RabbitMQ refused for the moment, not when
 * RabbitMQ said the request itself is wrong (access refused, a queue declared with other arguments).
 */
import { BrokerError, describeError } from '@sluice/core';

/** AMQP reply codes that say "not now" rather than "not this": a retry may succeed. */
const TRANSIENT_CODES = new Set([
  320, // CONNECTION_FORCED: the broker closed the connection (shutdown, stop_app, an operator)
  505, // UNEXPECTED_FRAME after a broken stream
  506, // RESOURCE_ERROR: the server is out of a resource for now
  541, // INTERNAL_ERROR: the server failed, e.g. a queue leader moved
]);

/** Socket errors of a connection that may come back. */
const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNABORTED',
]);

/** Messages of amqplib for a connection or channel that went away under a call. */
const LOST = /channel closed|connection closed|channel ended|unexpected close|heartbeat timeout|socket closed|connection lost|closed by server: 320/i;

/** A RabbitMQ operation that failed; `replyCode` is the AMQP reply code when RabbitMQ gave one. */
export class RabbitMqBrokerError extends BrokerError {
  constructor(
    message: string,
    operation: string,
    topic: string,
    options: { retriable?: boolean; cause?: unknown } = {},
    /** The AMQP reply code, e.g. 404 (NOT_FOUND) or 406 (PRECONDITION_FAILED), when RabbitMQ sent one. */
    readonly replyCode?: number,
  ) {
    super(message, operation, topic, options);
  }
}

/** Whether trying again may succeed: lost connections and channels, refused connections, server hiccups. */
export function isTransientAmqpError(error: unknown): boolean {
  for (let current: unknown = error, depth = 0; current && depth < 10; depth++) {
    if (current instanceof BrokerError) return current.retriable;
    const { code, message, cause } = current as { code?: unknown; message?: unknown; cause?: unknown };
    if (typeof code === 'number') return TRANSIENT_CODES.has(code);
    if (typeof code === 'string' && SOCKET_CODES.has(code)) return true;
    if (typeof message === 'string' && LOST.test(message)) return true;
    current = cause;
  }
  return false;
}

/** The AMQP reply code of an amqplib error, if RabbitMQ sent one. */
export function replyCodeOf(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'number' ? code : undefined;
}

/**
 * Wraps anything amqplib threw. `doing` completes "while …" (e.g. `publishing 20 envelopes`); `where`
 * names the server (password hidden) so the message says where it tried.
 */
export function toBrokerError(error: unknown, operation: string, topic: string, doing: string, where: string): BrokerError {
  if (error instanceof BrokerError) return error;
  const retriable = isTransientAmqpError(error);
  const code = replyCodeOf(error);
  const advice = retriable
    ? `check that RabbitMQ is up at ${where} (e.g. \`bash scripts/rabbitmq.sh start\`); retrying may succeed`
    : code === 406
      ? 'RabbitMQ refused the declaration: a queue or exchange of that name exists with other arguments ' +
        '(another deliveryLimit or type); delete it or use the same options — retrying will not help'
      : code === 403
        ? 'RabbitMQ refused access: check the user, password and vhost permissions in the URL — retrying will not help'
        : 'retrying will not help: fix the request or the RabbitMQ configuration';
  return new RabbitMqBrokerError(
    `RabbitMQ failed while ${doing}${topic ? ` on topic "${topic}"` : ''}: ${describeError(error)}; ${advice}`,
    operation,
    topic,
    { retriable, cause: error },
    code,
  );
}

/** The error of a call made after `close()`. */
export function closedError(operation: string, topic = ''): BrokerError {
  return new RabbitMqBrokerError(
    `cannot ${operation}${topic ? ` on topic "${topic}"` : ''}: this RabbitMQ broker is closed; create a new one with createRabbitMqBroker()`,
    operation,
    topic,
  );
}
