/**
 * Options of the Redis broker and of one consumer, with their defaults. Pure.
 */
import { BrokerError, ConfigError, type ConsumeOptions, type RetryPolicy } from '@sluice/core';
import type { RedisClientType } from 'redis';
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';

/** How to reach Redis and how the broker behaves. */
export interface RedisBrokerOptions {
  /** `redis://[[user]:password@]host[:port][/db]`; default `redis://127.0.0.1:6379`. */
  url?: string;
  /**
   * An already-made client (RESP2, no type mapping) to use instead of `url`. The broker connects it
   * if it is not open, duplicates it for each consumer, and leaves it open on `close()`.
   */
  client?: RedisClientType;
  /**
   * Prefix of the broker's connection names in `CLIENT LIST` (default `sluice`): the shared one is
   * `<name>:broker`, a consumer's own `<name>:consume:<topic>:<group>:<consumer>`.
   */
  clientName?: string;
  /** Prefix of stream keys: topic `orders` is the stream `<prefix>orders` (default `sluice:`). */
  streamPrefix?: string;
  /** How long one `XREADGROUP … BLOCK` waits for new entries, in ms (default 1000). */
  blockMs?: number;
  /**
   * How often a consumer looks for entries left pending longer than its visibility timeout
   * (`XAUTOCLAIM`), in ms. Default: a quarter of the visibility timeout, at most 5000.
   */
  claimIntervalMs?: number;
  /** How often streams this broker uses are trimmed of entries every group has acked, in ms (default 10 000; 0 turns it off). */
  trimIntervalMs?: number;
  /** Retries of a consumer's reads after a lost connection before its observable errors. */
  retry?: Partial<RetryPolicy>;
  /**
   * Failures of background trimming that retrying will not cure (a lost connection is simply tried
   * again at the next turn). Default: a process warning.
   */
  onError?: (error: Error) => void;
}

/** Broker options with every default filled in. */
export interface ResolvedBrokerOptions {
  url: string;
  clientName: string;
  streamPrefix: string;
  blockMs: number;
  claimIntervalMs: number | undefined;
  trimIntervalMs: number;
  retry: Partial<RetryPolicy>;
  onError: (error: Error) => void;
}

/** Consumer options with every default filled in. */
export interface ResolvedConsumeOptions {
  group: string;
  consumer: string;
  batchSize: number;
  maxInFlight: number;
  visibilityTimeoutMs: number;
  fromBeginning: boolean;
  claimIntervalMs: number;
  blockMs: number;
}

/** Defaults of the broker options; throws `ConfigError` for values that make no sense. */
export function resolveBrokerOptions(options: RedisBrokerOptions): ResolvedBrokerOptions {
  const resolved: ResolvedBrokerOptions = {
    url: options.url ?? 'redis://127.0.0.1:6379',
    clientName: options.clientName ?? 'sluice',
    streamPrefix: options.streamPrefix ?? 'sluice:',
    blockMs: options.blockMs ?? 1000,
    claimIntervalMs: options.claimIntervalMs,
    trimIntervalMs: options.trimIntervalMs ?? 10_000,
    retry: { maxAttempts: 10, initialDelayMs: 100, maxDelayMs: 5000, ...options.retry },
    onError: options.onError ?? ((error) => process.emitWarning(error)),
  };
  positive('blockMs', resolved.blockMs);
  if (resolved.claimIntervalMs !== undefined) positive('claimIntervalMs', resolved.claimIntervalMs);
  if (!Number.isInteger(resolved.trimIntervalMs) || resolved.trimIntervalMs < 0) {
    throw new ConfigError(`trimIntervalMs must be 0 (off) or a positive integer of ms, got ${resolved.trimIntervalMs}.`, 'trimIntervalMs');
  }
  return resolved;
}

/** Defaults of one consumer's options; throws `ConfigError` for values that make no sense. */
export function resolveConsumeOptions(options: ConsumeOptions, broker: ResolvedBrokerOptions): ResolvedConsumeOptions {
  if (typeof options?.group !== 'string' || options.group === '') {
    throw new ConfigError('consume() needs options.group, a non-empty consumer group name.', 'group');
  }
  const visibilityTimeoutMs = options.visibilityTimeoutMs ?? 30_000;
  const resolved: ResolvedConsumeOptions = {
    group: options.group,
    consumer: options.consumer ?? `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`,
    batchSize: options.batchSize ?? 500,
    maxInFlight: options.maxInFlight ?? 2,
    visibilityTimeoutMs,
    fromBeginning: options.fromBeginning ?? true,
    claimIntervalMs: broker.claimIntervalMs ?? Math.max(1, Math.min(5000, Math.floor(visibilityTimeoutMs / 4))),
    blockMs: broker.blockMs,
  };
  if (resolved.consumer === '') throw new ConfigError('options.consumer must not be empty.', 'consumer');
  positive('batchSize', resolved.batchSize);
  positive('maxInFlight', resolved.maxInFlight);
  positive('visibilityTimeoutMs', resolved.visibilityTimeoutMs);
  return resolved;
}

/** Checks that a topic name makes a usable stream key; throws a non-retriable `BrokerError`. */
export function checkTopic(topic: unknown, operation: string): asserts topic is string {
  if (typeof topic !== 'string' || topic === '') {
    throw new BrokerError(
      `Redis ${operation} failed: a topic must be a non-empty string, got ${JSON.stringify(topic)}. Pass a topic name.`,
      operation,
      String(topic),
    );
  }
}

function positive(option: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) {
    throw new ConfigError(`${option} must be a positive integer, got ${value}.`, option);
  }
}
