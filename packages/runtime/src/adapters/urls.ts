/**
 * Broker and store URLs, parsed into what each adapter needs (pure: no adapter is loaded here).
 * The short names the commands took before URLs (`redis`, `kafka`, `pg`, `sqlite`, …) still work
 * and mean that service at its environment URL.
 */
import { serviceUrls } from '@sluice/core';
import { AdapterUrlError } from '../errors.js';
import { redact } from '../redact.js';

/** A broker to open. */
export type BrokerTarget =
  | { kind: 'memory'; url: 'memory:' }
  | { kind: 'redis'; url: string }
  | { kind: 'kafka'; url: string; brokers: string[] }
  | { kind: 'rabbitmq'; url: string };

/** A store to open. */
export type StoreTarget = { kind: 'sqlite'; url: string; filename: string } | { kind: 'pg'; url: string };

/** The broker URL forms, for messages and `--help`. */
export const brokerUrlForms = [
  'memory:',
  'redis://host:port[/db]',
  'kafka://host1:9092[,host2:9092]',
  'amqp://user:pass@host:port[/vhost]',
] as const;

/** The store URL forms, for messages and `--help`. */
export const storeUrlForms = ['sqlite:path/to/file.db', 'sqlite::memory:', 'postgres://user@host:port/db'] as const;

/** The environment's RabbitMQ URL (`SLUICE_RABBITMQ_URL`, default guest on loopback). */
export function rabbitMqUrl(env: NodeJS.ProcessEnv = process.env): string {
  return env.SLUICE_RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
}

function brokerError(given: string, problem: string): AdapterUrlError {
  const shown = redact(given);
  return new AdapterUrlError(
    `cannot open broker "${shown}": ${problem}; use one of ${brokerUrlForms.join(', ')} (or memory, redis, kafka, rabbitmq for the environment's servers)`,
    'broker',
    shown,
    brokerUrlForms,
  );
}

function storeError(given: string, problem: string): AdapterUrlError {
  const shown = redact(given);
  return new AdapterUrlError(
    `cannot open store "${shown}": ${problem}; use one of ${storeUrlForms.join(', ')} (or sqlite, pg for the defaults)`,
    'store',
    shown,
    storeUrlForms,
  );
}

/** `new URL`, or the problem with the text. */
function parseUrl(text: string): URL | string {
  try {
    return new URL(text);
  } catch {
    return 'it is not a valid URL';
  }
}

/** Checks `host:port` (port optional, 1–65535). */
function hostPort(entry: string): boolean {
  const match = /^(\[[0-9a-f:.]+\]|[a-z0-9_.-]+)(?::(\d{1,5}))?$/i.exec(entry);
  return match !== null && (match[2] === undefined || (Number(match[2]) >= 1 && Number(match[2]) <= 65535));
}

/**
 * Parses a broker URL. Short names: `memory`, `redis` (`SLUICE_REDIS_URL`), `kafka`
 * (`SLUICE_KAFKA_BROKERS`), `rabbitmq` (`SLUICE_RABBITMQ_URL`). Throws `AdapterUrlError`.
 */
export function parseBrokerUrl(given: string, env: NodeJS.ProcessEnv = process.env): BrokerTarget {
  const text = given.trim();
  switch (text) {
    case 'memory':
    case 'memory:':
      return { kind: 'memory', url: 'memory:' };
    case 'redis':
      return parseBrokerUrl(env.SLUICE_REDIS_URL ?? serviceUrls.redis, env);
    case 'kafka':
      return parseBrokerUrl(`kafka://${env.SLUICE_KAFKA_BROKERS ?? serviceUrls.kafka}`, env);
    case 'rabbitmq':
    case 'amqp':
      return parseBrokerUrl(rabbitMqUrl(env), env);
  }
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(text)?.[1]?.toLowerCase();
  if (scheme === undefined) return fail(brokerError(given, 'it has no scheme'));
  if (scheme === 'kafka') {
    if (text.includes('@')) return fail(brokerError(given, 'kafka:// URLs carry no user or password (give SASL settings in the kafka options)'));
    const list = text.slice('kafka:'.length).replace(/^\/\//, '').replace(/\/$/, '');
    const brokers = list.split(',').map((b) => b.trim());
    const bad = brokers.find((b) => !hostPort(b));
    if (bad !== undefined) return fail(brokerError(given, bad === '' ? 'it names no broker' : `"${bad}" is not host:port`));
    return { kind: 'kafka', url: `kafka://${brokers.join(',')}`, brokers: brokers.map((b) => (b.includes(':') && !b.endsWith(']') ? b : `${b}:9092`)) };
  }
  if (scheme === 'redis' || scheme === 'rediss') {
    const url = parseUrl(text);
    if (typeof url === 'string') return fail(brokerError(given, url));
    if (url.hostname === '') return fail(brokerError(given, 'it names no host'));
    const db = url.pathname.replace(/^\//, '');
    if (db !== '' && !/^\d{1,2}$/.test(db)) return fail(brokerError(given, `the database "${db}" is not a number`));
    return { kind: 'redis', url: text };
  }
  if (scheme === 'amqp' || scheme === 'amqps') {
    const url = parseUrl(text);
    if (typeof url === 'string') return fail(brokerError(given, url));
    if (url.hostname === '') return fail(brokerError(given, 'it names no host'));
    return { kind: 'rabbitmq', url: text };
  }
  return fail(brokerError(given, `the scheme "${scheme}:" is not a broker Sluice knows`));
}

/**
 * Parses a store URL. Short names: `sqlite` (the caller's default file), `pg`/`postgres`
 * (`SLUICE_PG_URL`). Throws `AdapterUrlError`.
 */
export function parseStoreUrl(given: string, options: { env?: NodeJS.ProcessEnv; defaultSqliteFile?: string } = {}): StoreTarget {
  const env = options.env ?? process.env;
  const text = given.trim();
  if (text === 'sqlite') return parseStoreUrl(`sqlite:${options.defaultSqliteFile ?? 'sluice-out/sluice.db'}`, options);
  if (text === 'pg' || text === 'postgres' || text === 'postgresql') return parseStoreUrl(env.SLUICE_PG_URL ?? serviceUrls.pg, options);
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(text)?.[1]?.toLowerCase();
  if (scheme === undefined) return fail(storeError(given, 'it has no scheme'));
  if (scheme === 'sqlite' || scheme === 'sqlite3') {
    // sqlite:path, sqlite://path (relative), sqlite:///abs/path, sqlite::memory:
    let filename = text.slice(scheme.length + 1);
    if (filename.startsWith('//')) filename = filename.slice(2);
    if (filename === '') return fail(storeError(given, 'it names no file'));
    return { kind: 'sqlite', url: `sqlite:${filename}`, filename };
  }
  if (scheme === 'postgres' || scheme === 'postgresql') {
    const url = parseUrl(text);
    if (typeof url === 'string') return fail(storeError(given, url));
    if (url.hostname === '' && !url.searchParams.has('host')) return fail(storeError(given, 'it names no host'));
    return { kind: 'pg', url: text };
  }
  return fail(storeError(given, `the scheme "${scheme}:" is not a store Sluice knows`));
}

function fail(error: AdapterUrlError): never {
  throw error;
}
