/**
 * Errors of the Kafka broker: kafkajs failures become `KafkaBrokerError`s (a `BrokerError`) whose
 * `retriable` follows kafkajs's own judgement, with lost connections always retriable.
 */
import { BrokerError, describeError } from '@sluice/core';

/** kafkajs errors that mean "the connection or the cluster is not there right now". */
const CONNECTION_ERRORS = new Set([
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSRequestTimeoutError',
  'KafkaJSBrokerNotFound',
  'KafkaJSNoBrokerAvailableError',
  'KafkaJSLockTimeout',
  // kafkajs asks every broker it knows for the group's coordinator, swallows each failure and throws
  // this (marked final) when none answered: during an outage it means "no broker reachable".
  'KafkaJSGroupCoordinatorNotFound',
]);

/** Protocol errors that say the group moved to a new generation: this member's work was revoked. */
const REBALANCE_ERRORS = new Set(['REBALANCE_IN_PROGRESS', 'ILLEGAL_GENERATION', 'UNKNOWN_MEMBER_ID', 'FENCED_INSTANCE_ID']);

/** A Kafka operation that failed; `kafkaType` is Kafka's error name when the server gave one. */
export class KafkaBrokerError extends BrokerError {
  constructor(
    message: string,
    operation: string,
    topic: string,
    options: { retriable?: boolean; cause?: unknown } = {},
    /** Kafka's error name, e.g. `NOT_LEADER_OR_FOLLOWER`, when the server returned one. */
    readonly kafkaType?: string,
  ) {
    super(message, operation, topic, options);
  }
}

/**
 * Wraps anything kafkajs threw. `doing` completes "while …" (e.g. `publishing 20 envelopes`);
 * `brokers` names the cluster so the message says where it tried.
 */
export function toBrokerError(error: unknown, operation: string, topic: string, doing: string, brokers: readonly string[]): BrokerError {
  if (error instanceof BrokerError) return error;
  const retriable = isRetriableKafkaError(error);
  const advice = retriable
    ? `check that Kafka is up at ${brokers.join(',')} (e.g. \`pnpm services:up\`); retrying may succeed`
    : 'retrying will not help: fix the request or the topic/group configuration';
  return new KafkaBrokerError(
    `Kafka failed while ${doing}${topic ? ` on topic "${topic}"` : ''}: ${describeError(error)}; ${advice}`,
    operation,
    topic,
    { retriable, cause: error },
    kafkaType(error),
  );
}

/** kafkajs errors that only wrap the error that caused them; the cause decides. */
const WRAPPERS = new Set(['KafkaJSNumberOfRetriesExceeded', 'KafkaJSNonRetriableError']);

/** Whether kafkajs says trying again may succeed (connection errors always may). */
export function isRetriableKafkaError(error: unknown): boolean {
  for (let current: unknown = error, depth = 0; current && depth < 10; depth++) {
    const { name, retriable, cause } = current as { name?: string; retriable?: unknown; cause?: unknown };
    if (name && CONNECTION_ERRORS.has(name)) return true;
    // "Retries exceeded" and the non-retriable wrapper kafkajs puts around its exhausted inner
    // retries are final for kafkajs's own loop, but what it retried (a lost connection) may come back.
    if (!WRAPPERS.has(name ?? '') && typeof retriable === 'boolean') return retriable;
    current = cause;
  }
  return false;
}

/** Whether an error says the consumer group has rebalanced (this member's generation is over). */
export function isRebalanceError(error: unknown): boolean {
  const type = kafkaType(error);
  return type !== undefined && REBALANCE_ERRORS.has(type);
}

/** Kafka's error name of a kafkajs protocol error (also inside a retries-exceeded wrapper). */
function kafkaType(error: unknown): string | undefined {
  for (let current: unknown = error, depth = 0; current && depth < 10; depth++) {
    const { type, cause } = current as { type?: unknown; cause?: unknown };
    if (typeof type === 'string') return type;
    current = cause;
  }
  return undefined;
}

/** The error of a call made after `close()`. */
export function closedError(operation: string, topic = ''): BrokerError {
  return new BrokerError(
    `cannot ${operation}${topic ? ` on topic "${topic}"` : ''}: this Kafka broker is closed; create a new one with createKafkaBroker()`,
    operation,
    topic,
  );
}
