/**
 * Input checks every broker shares: topic names, publish batches and consume options. Adapters call
 * them before touching their server, so bad input fails the same clear way on every broker.
 */
import { BrokerError, ConfigError } from '../errors.js';
import type { ConsumeOptions, Envelope } from '../types.js';

/** Consume options with every default filled in. */
export type ResolvedConsumeOptions = Required<ConsumeOptions>;

/** The defaults a broker fills into `ConsumeOptions` (a broker may override them). */
export interface ConsumeDefaults {
  /** Most envelopes per delivery (default 500). */
  batchSize: number;
  /** Most unacked deliveries per consumer (default 2). */
  maxInFlight: number;
  /** Milliseconds before unacked envelopes are redelivered (default 30 000). */
  visibilityTimeoutMs: number;
}

/** The contract's defaults: 500 envelopes per delivery, 2 in flight, 30 s visibility timeout. */
export const defaultConsumeDefaults: ConsumeDefaults = { batchSize: 500, maxInFlight: 2, visibilityTimeoutMs: 30_000 };

/** Returns `topic` if it is a non-empty string, else throws `ConfigError`. */
export function assertTopic(topic: unknown): string {
  if (typeof topic !== 'string' || topic.trim() === '') {
    throw new ConfigError(`topic must be a non-empty string, got ${show(topic)}: pass the name of the topic`, 'topic');
  }
  return topic;
}

/**
 * Checks a publish batch: an array of envelopes, each an object with a string key, a finite
 * timestamp and string headers (absent headers count as none). Throws a non-retriable
 * `BrokerError` naming the first bad envelope; a broker publishes nothing of a rejected batch.
 */
export function assertEnvelopes(topic: string, envelopes: unknown): asserts envelopes is readonly Envelope[] {
  if (!Array.isArray(envelopes)) {
    throw new ConfigError(`cannot publish to topic "${topic}": expected an array of envelopes, got ${show(envelopes)}`, 'envelopes');
  }
  envelopes.forEach((envelope: unknown, index) => {
    const problem = envelopeProblem(envelope);
    if (problem) {
      throw new BrokerError(
        `cannot publish to topic "${topic}": envelope ${index} ${problem}; nothing of the batch was published — ` +
          'fix the record or send it to the dead letters',
        'publish',
        topic,
      );
    }
  });
}

/** Returns `group` if it is a non-empty string, else throws `ConfigError`. */
export function assertGroup(topic: string, group: unknown): string {
  if (typeof group !== 'string' || group.trim() === '') {
    throw new ConfigError(`consumer group on topic "${topic}" must be a non-empty string, got ${show(group)}`, 'group');
  }
  return group;
}

/** Consume limits from `overrides`, falling back to `base` (the contract's defaults), validated. */
export function resolveConsumeDefaults(
  overrides: Partial<ConsumeDefaults>,
  where: string,
  base: ConsumeDefaults = defaultConsumeDefaults,
): ConsumeDefaults {
  const pick = (option: keyof ConsumeDefaults) => positiveInteger(where, option, overrides[option] ?? base[option]);
  return { batchSize: pick('batchSize'), maxInFlight: pick('maxInFlight'), visibilityTimeoutMs: pick('visibilityTimeoutMs') };
}

/** Validates consume options and fills in the defaults; throws `ConfigError` naming the bad option. */
export function resolveConsumeOptions(
  topic: string,
  options: ConsumeOptions,
  defaults: ConsumeDefaults = defaultConsumeDefaults,
): ResolvedConsumeOptions {
  const where = `consuming topic "${topic}"`;
  const group = assertGroup(topic, options?.group);
  const limits = resolveConsumeDefaults(options, where, defaults);
  if (options.consumer !== undefined && (typeof options.consumer !== 'string' || options.consumer.trim() === '')) {
    throw new ConfigError(`${where}: consumer must be a non-empty string when given, got ${show(options.consumer)}`, 'consumer');
  }
  return {
    group,
    consumer: options.consumer ?? `consumer-${Math.random().toString(36).slice(2, 12)}`,
    ...limits,
    fromBeginning: options.fromBeginning ?? true,
  };
}

function positiveInteger(where: string, option: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new ConfigError(`${where}: ${option} must be a positive integer, got ${show(value)}`, option);
  }
  return value;
}

function envelopeProblem(envelope: unknown): string | undefined {
  if (typeof envelope !== 'object' || envelope === null || Array.isArray(envelope)) {
    return `is ${show(envelope)}, not an envelope object { key, value, timestamp, headers }`;
  }
  const { key, timestamp, headers } = envelope as Record<string, unknown>;
  if (typeof key !== 'string') return `has key ${show(key)}: the key must be a string`;
  if (typeof timestamp !== 'number' || !Number.isFinite(timestamp)) {
    return `(key "${key}") has timestamp ${show(timestamp)}: it must be a finite number of milliseconds since the epoch`;
  }
  if (headers !== undefined && !isStringRecord(headers)) {
    return `(key "${key}") has headers ${show(headers)}: headers must be an object of string values`;
  }
  return undefined;
}

function isStringRecord(value: unknown): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.values(value).every((item) => typeof item === 'string')
  );
}

/** A short description of a bad value for an error message. */
function show(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  if (typeof value === 'function') return 'a function';
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = Object.prototype.toString.call(value);
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
