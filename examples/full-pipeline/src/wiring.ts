/**
 * Picks the broker and store adapters by name. Adapters load lazily, so an embedded run never
 * loads kafkajs or pg.
 */
import { ConfigError, createMemoryBroker, serviceUrls, type Broker, type Store } from '@sluice/core';

export type BrokerKind = 'memory' | 'redis' | 'kafka';
export type StoreKind = 'sqlite' | 'pg';

export const brokerKinds: readonly BrokerKind[] = ['memory', 'redis', 'kafka'];
export const storeKinds: readonly StoreKind[] = ['sqlite', 'pg'];

/** Connects to the broker of that kind (URLs from the environment, loopback defaults). */
export async function connectBroker(kind: BrokerKind, clientId = 'sluice-full-pipeline'): Promise<Broker> {
  switch (kind) {
    case 'memory':
      return createMemoryBroker();
    case 'redis': {
      const { createRedisBroker } = await import('@sluice/adapter-redis');
      return createRedisBroker({ url: serviceUrls.redis });
    }
    case 'kafka': {
      const { createKafkaBroker } = await import('@sluice/adapter-kafka');
      return createKafkaBroker({ brokers: serviceUrls.kafka.split(','), clientId });
    }
    default:
      throw new ConfigError(`unknown broker "${String(kind)}": use one of ${brokerKinds.join(', ')}`, 'broker');
  }
}

/** Opens the store of that kind: SQLite in `sqliteFile`, PostgreSQL at `SLUICE_PG_URL`. */
export async function openStore(kind: StoreKind, sqliteFile: string): Promise<Store> {
  switch (kind) {
    case 'sqlite': {
      const { createSqliteStore } = await import('@sluice/store-sqlite');
      return createSqliteStore({ filename: sqliteFile });
    }
    case 'pg': {
      const { createPgStore } = await import('@sluice/store-pg');
      return createPgStore({ connectionString: serviceUrls.pg });
    }
    default:
      throw new ConfigError(`unknown store "${String(kind)}": use one of ${storeKinds.join(', ')}`, 'store');
  }
}
