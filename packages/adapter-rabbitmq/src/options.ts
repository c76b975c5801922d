/**
 * Options of the RabbitMQ broker, with their defaults and checks, and the names of the exchanges and
 * queues a topic and its groups map to. Pure: no I/O.
 */
import { ConfigError, type RetryNotice, type RetryPolicy } from '@sluice/core';

/** Which consumer groups to declare on a topic before publishing to it (see `groups`). */
export type GroupDeclarations = readonly string[] | Readonly<Record<string, readonly string[]>> | ((topic: string) => readonly string[]);

/** How to reach RabbitMQ and how the broker behaves. */
export interface RabbitMqBrokerOptions {
  /**
   * `amqp://user:password@host:port/vhost` (URL-encode a vhost of `/` as `%2F`, or leave the path
   * out). Default: the `SLUICE_RABBITMQ_URL` environment variable, else `amqp://guest:guest@127.0.0.1:5672`.
   */
  url?: string;
  /** Prefix of every exchange and queue this broker declares (default `sluice.`). */
  prefix?: string;
  /**
   * Groups whose queues `publish` declares (and binds) before it first publishes to a topic, so that
   * envelopes published before a group's first `consume()` are kept for it. A list applies to every
   * topic; a record maps a topic to its groups; a function is asked per topic. A queue receives only
   * what is published after it exists: a group declared nowhere sees nothing published before it
   * first consumed (see README, "Groups must exist before publishing").
   */
  groups?: GroupDeclarations;
  /**
   * How often RabbitMQ hands out one envelope before dead-lettering it: the quorum queue's
   * `x-delivery-limit` (default 20). Past it the envelope goes to the group's dead-letter queue
   * instead of looping forever; `moveDeadLetters()` hands such envelopes to a dead-letter sink.
   * Queue arguments cannot change once a queue exists: every broker of a group must agree on it.
   */
  deliveryLimit?: number;
  /**
   * How long a consumer waits for more envelopes before it hands out a delivery smaller than
   * `batchSize`, in ms (default 20). Deliveries close on count or on this time.
   */
  batchMs?: number;
  /** AMQP heartbeat in seconds: a silent peer is declared dead after about twice this (default 10). */
  heartbeatSeconds?: number;
  /** Milliseconds to open a connection before giving up (default 5000). */
  connectTimeoutMs?: number;
  /**
   * Backoff of a consumer's reconnects after a lost connection or channel (default 20 attempts,
   * 100 ms doubling up to 5 s: between about 40 s and 70 s of waiting, as long as a RabbitMQ node
   * under load may take to restart and recover its quorum queues). Past it the consumer's observable
   * errors with `RetryExhaustedError`, acking nothing.
   */
  retry?: Partial<RetryPolicy>;
  /**
   * Called before each reconnect wait of a consumer: the broker's `retry` events, for a pipeline to
   * report as `retry` status events (default: none).
   */
  onRetry?: (notice: RetryNotice) => void;
  /** Name shown for this broker's connections in RabbitMQ (`connection_name`, default `sluice`). */
  clientName?: string;
  /**
   * Publish the envelopes of one `publish` call as a few packed AMQP messages (header `sluice-packed`,
   * body the JSON array of `[key, timestamp, headers, value]`, at most 512 KiB each) instead of one
   * message per envelope (default false). RabbitMQ and the client then do their per-message work once
   * per pack: several times less CPU on both sides for batches of hundreds. Consumers of every broker
   * read both formats; this broker's consumers also size their prefetch for packs from the start.
   * Trade-offs (see README, "Packed messages"): `lag()` and the delivery limit count messages, so a
   * pack is redelivered, dead-lettered and counted as a whole; other AMQP clients see the packed
   * arrays; consumers of older versions cannot read packs (upgrade consumers first).
   */
  packEnvelopes?: boolean;
}

/** Broker options with every default filled in. */
export interface ResolvedRabbitMqOptions {
  url: string;
  prefix: string;
  groups: (topic: string) => readonly string[];
  deliveryLimit: number;
  batchMs: number;
  heartbeatSeconds: number;
  connectTimeoutMs: number;
  retry: Partial<RetryPolicy>;
  onRetry: (notice: RetryNotice) => void;
  clientName: string;
  packEnvelopes: boolean;
}

/** The longest exchange or queue name AMQP 0-9-1 allows, in bytes (a short string). */
export const MAX_NAME_BYTES = 255;

/** Fills in the defaults; throws `ConfigError` naming the option that makes no sense. */
export function resolveRabbitMqOptions(options: RabbitMqBrokerOptions = {}, env: NodeJS.ProcessEnv = process.env): ResolvedRabbitMqOptions {
  const url = options.url ?? env.SLUICE_RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
  checkUrl(url);
  const prefix = options.prefix ?? 'sluice.';
  if (typeof prefix !== 'string') throw new ConfigError(`RabbitMQ broker option prefix must be a string, got ${String(prefix)}`, 'prefix');
  const clientName = options.clientName ?? 'sluice';
  if (typeof clientName !== 'string' || clientName.trim() === '') {
    throw new ConfigError(`RabbitMQ broker option clientName must be a non-empty string, got ${String(clientName)}`, 'clientName');
  }
  return {
    url,
    prefix,
    groups: groupsOf(options.groups),
    deliveryLimit: integerFrom(1, 'deliveryLimit', options.deliveryLimit ?? 20),
    batchMs: integerFrom(0, 'batchMs', options.batchMs ?? 20),
    heartbeatSeconds: integerFrom(0, 'heartbeatSeconds', options.heartbeatSeconds ?? 10),
    connectTimeoutMs: integerFrom(1, 'connectTimeoutMs', options.connectTimeoutMs ?? 5000),
    retry: { maxAttempts: 20, initialDelayMs: 100, maxDelayMs: 5000, ...options.retry },
    onRetry: options.onRetry ?? (() => undefined),
    clientName,
    packEnvelopes: booleanOption('packEnvelopes', options.packEnvelopes ?? false),
  };
}

/** The exchange and queue names of a topic and its groups. */
export interface Names {
  /** The topic's durable fanout exchange. */
  exchange(topic: string): string;
  /** A group's durable quorum queue, bound to the topic's exchange. */
  queue(topic: string, group: string): string;
  /** Where RabbitMQ moves a group's envelopes that reached the delivery limit. */
  deadLetterQueue(topic: string, group: string): string;
}

/**
 * Names under `prefix`: topic `t` is the exchange `<prefix>t`, group `g` of it the queue `<prefix>t|g`,
 * its dead letters the queue `<prefix>t|g.dead-letters`. Throws `ConfigError` for a name AMQP cannot
 * hold (over 255 bytes).
 */
export function namesOf(prefix: string): Names {
  const checked = (kind: string, name: string, what: string): string => {
    if (Buffer.byteLength(name) > MAX_NAME_BYTES) {
      throw new ConfigError(
        `the RabbitMQ ${kind} for ${what} would be "${name.slice(0, 60)}…", ${Buffer.byteLength(name)} bytes; ` +
          `AMQP allows at most ${MAX_NAME_BYTES}: use shorter topic and group names or a shorter prefix`,
        kind === 'exchange' ? 'topic' : 'group',
      );
    }
    return name;
  };
  return {
    exchange: (topic) => checked('exchange', `${prefix}${topic}`, `topic "${topic}"`),
    queue: (topic, group) => checked('queue', `${prefix}${topic}|${group}`, `group "${group}" of topic "${topic}"`),
    deadLetterQueue: (topic, group) =>
      checked('queue', `${prefix}${topic}|${group}.dead-letters`, `the dead letters of group "${group}" of topic "${topic}"`),
  };
}

function groupsOf(groups: GroupDeclarations | undefined): (topic: string) => readonly string[] {
  if (groups === undefined) return () => [];
  if (typeof groups === 'function') return groups;
  if (Array.isArray(groups)) {
    checkGroups(groups, 'groups');
    const list = groups as readonly string[];
    return () => list;
  }
  if (typeof groups === 'object' && groups !== null) {
    const byTopic = groups as Readonly<Record<string, readonly string[]>>;
    for (const [topic, list] of Object.entries(byTopic)) checkGroups(list, `groups.${topic}`);
    return (topic) => byTopic[topic] ?? [];
  }
  throw new ConfigError(`RabbitMQ broker option groups must be a list of group names, a record topic → groups, or a function, got ${String(groups)}`, 'groups');
}

function checkGroups(list: unknown, option: string): void {
  if (!Array.isArray(list) || !list.every((group) => typeof group === 'string' && group.trim() !== '')) {
    throw new ConfigError(`RabbitMQ broker option ${option} must be a list of non-empty group names, got ${JSON.stringify(list)}`, 'groups');
  }
}

function checkUrl(url: unknown): void {
  let parsed: URL | undefined;
  try {
    parsed = typeof url === 'string' ? new URL(url) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!parsed || (parsed.protocol !== 'amqp:' && parsed.protocol !== 'amqps:')) {
    throw new ConfigError(
      `RabbitMQ broker option url must be amqp://user:password@host:port/vhost (or amqps://), got ${JSON.stringify(url)}`,
      'url',
    );
  }
}

function integerFrom(min: number, option: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new ConfigError(`RabbitMQ broker option ${option} must be an integer of at least ${min}, got ${String(value)}`, option);
  }
  return value;
}

function booleanOption(option: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new ConfigError(`RabbitMQ broker option ${option} must be true or false, got ${String(value)}`, option);
  return value;
}

/** The URL without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable url)';
  }
}
