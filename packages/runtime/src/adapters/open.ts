/**
 * `openBroker(url)` and `openStore(url)`: any Sluice adapter by URL. Each adapter package is
 * imported only when its URL is opened, so an embedded run (memory broker, SQLite) never loads
 * pg, kafkajs, redis or amqplib.
 */
import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { createMemoryBroker, type Broker, type MemoryBrokerOptions, type Store } from '@sluice/core';
import type { KafkaBrokerOptions } from '@sluice/adapter-kafka';
import type { GroupDeclarations, RabbitMqBrokerOptions } from '@sluice/adapter-rabbitmq';
import type { RedisBrokerOptions } from '@sluice/adapter-redis';
import type { PgStoreOptions } from '@sluice/store-pg';
import type { SqliteStoreOptions } from '@sluice/store-sqlite';
import { AdapterMissingError } from '../errors.js';
import { defaultBrokerUrl, defaultStoreUrl } from './defaults.js';
import { parseBrokerUrl, parseStoreUrl, type BrokerTarget, type StoreTarget } from './urls.js';

/** Adapter options beside the URL, per adapter; only the one the URL opens is used. */
export interface OpenBrokerOptions {
  memory?: MemoryBrokerOptions;
  redis?: Omit<RedisBrokerOptions, 'url'>;
  kafka?: Omit<KafkaBrokerOptions, 'brokers'>;
  rabbitmq?: Omit<RabbitMqBrokerOptions, 'url'>;
  /** Client name for the server's view of connections (Kafka clientId, Redis client name). */
  clientId?: string;
}

/** Adapter options beside the URL, per adapter. */
export interface OpenStoreOptions {
  sqlite?: Omit<SqliteStoreOptions, 'filename'>;
  pg?: Omit<PgStoreOptions, 'connectionString'>;
  /** The SQLite file that the short name `sqlite` (and the fallback default) means. */
  defaultSqliteFile?: string;
}

/** Imports an adapter package, or explains how to install it. */
async function load<M>(packageName: string, url: string, importer: () => Promise<M>): Promise<M> {
  try {
    return await importer();
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_MODULE_NOT_FOUND' && String((error as Error).message).includes(packageName)) {
      throw new AdapterMissingError(packageName, url, error);
    }
    throw error;
  }
}

/**
 * `?groups=a,b` of an `amqp://` URL: consumer groups whose queues the broker declares before it
 * first publishes to a topic (RabbitMQ keeps messages only for groups that exist), taken off the
 * URL handed to the client.
 */
function amqpGroups(text: string): { url: string; groups: string[] } {
  const url = new URL(text);
  const groups = (url.searchParams.get('groups') ?? '').split(',').map((g) => g.trim()).filter((g) => g !== '');
  url.searchParams.delete('groups');
  return { url: url.toString(), groups };
}

/** The groups a RabbitMQ `groups` option declares on `topic`. */
function groupsFor(groups: GroupDeclarations, topic: string): readonly string[] {
  if (typeof groups === 'function') return groups(topic);
  if (Array.isArray(groups)) return groups as readonly string[];
  return (groups as Readonly<Record<string, readonly string[]>>)[topic] ?? [];
}

/** Opens a parsed broker target. */
export async function openBrokerTarget(target: BrokerTarget, options: OpenBrokerOptions = {}): Promise<Broker> {
  switch (target.kind) {
    case 'memory':
      return createMemoryBroker(options.memory);
    case 'redis': {
      const { createRedisBroker } = await load('@sluice/adapter-redis', target.url, () => import('@sluice/adapter-redis'));
      return createRedisBroker({ ...(options.clientId ? { clientName: options.clientId } : {}), ...options.redis, url: target.url });
    }
    case 'kafka': {
      const { createKafkaBroker } = await load('@sluice/adapter-kafka', target.url, () => import('@sluice/adapter-kafka'));
      return createKafkaBroker({ ...(options.clientId ? { clientId: options.clientId } : {}), ...options.kafka, brokers: target.brokers });
    }
    case 'rabbitmq': {
      const { createRabbitMqBroker } = await load('@sluice/adapter-rabbitmq', target.url, () => import('@sluice/adapter-rabbitmq'));
      const { url, groups } = amqpGroups(target.url);
      const given = options.rabbitmq?.groups;
      const declared: GroupDeclarations | undefined =
        groups.length === 0 ? given : given === undefined ? groups : (topic: string) => [...groupsFor(given, topic), ...groups];
      return createRabbitMqBroker({
        ...(options.clientId ? { clientName: options.clientId } : {}),
        ...options.rabbitmq,
        ...(declared ? { groups: declared } : {}),
        url,
      });
    }
  }
}

/** Opens a parsed store target; a SQLite file's folder is created when missing. */
export async function openStoreTarget(target: StoreTarget, options: OpenStoreOptions = {}): Promise<Store> {
  switch (target.kind) {
    case 'sqlite': {
      const { createSqliteStore } = await load('@sluice/store-sqlite', target.url, () => import('@sluice/store-sqlite'));
      const memory = target.filename === ':memory:' || target.filename.startsWith('file:');
      if (!memory) await mkdir(dirname(resolve(target.filename)), { recursive: true });
      return createSqliteStore({ ...options.sqlite, filename: target.filename });
    }
    case 'pg': {
      const { createPgStore } = await load('@sluice/store-pg', target.url, () => import('@sluice/store-pg'));
      return createPgStore({ ...options.pg, connectionString: target.url });
    }
  }
}

/**
 * Opens the broker at `url` (default: `SLUICE_BROKER`, else `memory:`). Throws `AdapterUrlError`
 * for an unknown scheme or a malformed URL, naming it without its password.
 */
export async function openBroker(url?: string, options: OpenBrokerOptions = {}): Promise<Broker> {
  return openBrokerTarget(parseBrokerUrl(url ?? defaultBrokerUrl()), options);
}

/**
 * Opens the store at `url` (default: `SLUICE_STORE`, else SQLite in `options.defaultSqliteFile`
 * or `sluice-out/sluice.db`). Throws `AdapterUrlError` like {@link openBroker}.
 */
export async function openStore(url?: string, options: OpenStoreOptions = {}): Promise<Store> {
  const given = url ?? defaultStoreUrl(options.defaultSqliteFile);
  return openStoreTarget(parseStoreUrl(given, options.defaultSqliteFile ? { defaultSqliteFile: options.defaultSqliteFile } : {}), options);
}
