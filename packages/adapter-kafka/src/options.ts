/**
 * Options of the Kafka broker, with their defaults and checks. Pure: no I/O.
 */
import { ConfigError, type RetryNotice } from '@sluice/core';

/** How much kafkajs itself logs (its `logLevel`): nothing by default, errors travel as rejections. */
export type KafkaLogLevel = 'nothing' | 'error' | 'warn' | 'info' | 'debug';

/** How to reach Kafka and how the broker behaves. */
export interface KafkaBrokerOptions {
  /**
   * Bootstrap brokers as `host:port` (an array or a comma-separated string). Default: the
   * `SLUICE_KAFKA_BROKERS` environment variable, else `127.0.0.1:9092`.
   */
  brokers?: string | readonly string[];
  /** Client id shown in Kafka's logs and metrics (default `sluice`); consumers append their name. */
  clientId?: string;
  /** Partitions of the topics this broker creates (default 3). Existing topics are left as they are. */
  partitions?: number;
  /** Replication factor of the topics this broker creates (default 1, a single-node cluster). */
  replicationFactor?: number;
  /** kafkajs's own logging (default `nothing`). */
  logLevel?: KafkaLogLevel;
  /** Milliseconds to open a connection before giving up (default 3000). */
  connectionTimeoutMs?: number;
  /** Milliseconds Kafka waits for an acknowledgement of a publish or an admin request (default 30 000). */
  requestTimeoutMs?: number;
  /** Consumer session timeout: a member silent this long is dropped from its group (default 30 000). */
  sessionTimeoutMs?: number;
  /** How often a consumer heartbeats, also while it waits for acks (default 3000). */
  heartbeatIntervalMs?: number;
  /** Longest time one fetch waits for new messages; also bounds how fast a consumer leaves (default 1000). */
  maxWaitTimeMs?: number;
  /** Most bytes one publish request carries; larger batches go in several requests, in order (default 512 KiB). */
  maxRequestBytes?: number;
  /** How often kafkajs retries a failed request (with backoff) before the call rejects (default 5). */
  retries?: number;
  /**
   * Pack the envelopes of one publish that go to one partition into one Kafka record (default
   * false). Cuts the producer's and the consumer's CPU per envelope several-fold (kafkajs encodes
   * and decodes a record per partition, not per envelope); keys keep their partition and order.
   * But `lag()` then counts records, not envelopes; consumers of older Sluice versions cannot read
   * packed records (upgrade consumers first); and other Kafka clients see one record of a JSON array
   * of `[key, timestamp, headers, value]` (header `sluice-packed`). Consumers read both formats.
   */
  packEnvelopes?: boolean;
  /**
   * Told each time a consumer is restarted after kafkajs gave up on it (a lost cluster, within the
   * 60 s budget): the broker's `retry` events, for a pipeline to report as `retry` status events
   * (default: none). `attempt` counts the restarts of the current outage.
   */
  onRetry?: (notice: RetryNotice) => void;
}

/** Broker options with every default filled in. */
export interface ResolvedKafkaOptions {
  brokers: string[];
  clientId: string;
  partitions: number;
  replicationFactor: number;
  logLevel: KafkaLogLevel;
  connectionTimeoutMs: number;
  requestTimeoutMs: number;
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  maxWaitTimeMs: number;
  maxRequestBytes: number;
  retries: number;
  packEnvelopes: boolean;
  onRetry: (notice: RetryNotice) => void;
}

const logLevels: readonly KafkaLogLevel[] = ['nothing', 'error', 'warn', 'info', 'debug'];

/** Fills in the defaults; throws `ConfigError` naming the option that makes no sense. */
export function resolveKafkaOptions(options: KafkaBrokerOptions = {}, env: NodeJS.ProcessEnv = process.env): ResolvedKafkaOptions {
  const resolved: ResolvedKafkaOptions = {
    brokers: parseBrokers(options.brokers ?? env.SLUICE_KAFKA_BROKERS ?? '127.0.0.1:9092'),
    clientId: options.clientId ?? 'sluice',
    partitions: positive('partitions', options.partitions ?? 3),
    replicationFactor: positive('replicationFactor', options.replicationFactor ?? 1),
    logLevel: options.logLevel ?? 'nothing',
    connectionTimeoutMs: positive('connectionTimeoutMs', options.connectionTimeoutMs ?? 3000),
    requestTimeoutMs: positive('requestTimeoutMs', options.requestTimeoutMs ?? 30_000),
    sessionTimeoutMs: positive('sessionTimeoutMs', options.sessionTimeoutMs ?? 30_000),
    heartbeatIntervalMs: positive('heartbeatIntervalMs', options.heartbeatIntervalMs ?? 3000),
    maxWaitTimeMs: positive('maxWaitTimeMs', options.maxWaitTimeMs ?? 1000),
    maxRequestBytes: positive('maxRequestBytes', options.maxRequestBytes ?? 512 * 1024),
    retries: integerFrom(0, 'retries', options.retries ?? 5),
    packEnvelopes: options.packEnvelopes ?? false,
    onRetry: options.onRetry ?? (() => undefined),
  };
  if (typeof resolved.onRetry !== 'function') {
    throw new ConfigError(`Kafka broker option onRetry must be a function, got ${typeof options.onRetry}`, 'onRetry');
  }
  if (typeof resolved.packEnvelopes !== 'boolean') {
    throw new ConfigError(`Kafka broker option packEnvelopes must be true or false, got ${String(options.packEnvelopes)}`, 'packEnvelopes');
  }
  if (typeof resolved.clientId !== 'string' || resolved.clientId.trim() === '') {
    throw new ConfigError(`Kafka broker option clientId must be a non-empty string, got ${String(options.clientId)}`, 'clientId');
  }
  if (!logLevels.includes(resolved.logLevel)) {
    throw new ConfigError(`Kafka broker option logLevel must be one of ${logLevels.join(', ')}, got ${String(resolved.logLevel)}`, 'logLevel');
  }
  if (resolved.heartbeatIntervalMs >= resolved.sessionTimeoutMs) {
    throw new ConfigError(
      `Kafka broker option heartbeatIntervalMs (${resolved.heartbeatIntervalMs}) must be below sessionTimeoutMs ` +
        `(${resolved.sessionTimeoutMs}), or the group drops its members between heartbeats`,
      'heartbeatIntervalMs',
    );
  }
  return resolved;
}

/** `host:port` entries of a list or a comma-separated string; throws `ConfigError` on a malformed one. */
export function parseBrokers(brokers: string | readonly string[]): string[] {
  const list = (typeof brokers === 'string' ? brokers.split(',') : [...brokers]).map((entry) => String(entry).trim()).filter(Boolean);
  if (list.length === 0) {
    throw new ConfigError('Kafka broker option brokers is empty: give at least one host:port, e.g. 127.0.0.1:9092', 'brokers');
  }
  for (const entry of list) {
    if (!/^[^\s:/]+:\d{1,5}$/.test(entry) && !/^\[[0-9a-fA-F:]+\]:\d{1,5}$/.test(entry)) {
      throw new ConfigError(`Kafka broker address "${entry}" is not host:port (e.g. 127.0.0.1:9092)`, 'brokers');
    }
  }
  return list;
}

function positive(option: string, value: unknown): number {
  return integerFrom(1, option, value);
}

function integerFrom(min: number, option: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new ConfigError(`Kafka broker option ${option} must be an integer of at least ${min}, got ${String(value)}`, option);
  }
  return value;
}
