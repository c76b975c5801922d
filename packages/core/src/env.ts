/** Connection settings of the real services, from the environment with loopback defaults. */
export const serviceUrls = {
  /** `SLUICE_REDIS_URL`, default `redis://127.0.0.1:6379`. */
  redis: process.env.SLUICE_REDIS_URL ?? 'redis://127.0.0.1:6379',
  /** `SLUICE_PG_URL`, default `postgres://postgres@127.0.0.1:5432/postgres`. */
  pg: process.env.SLUICE_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  /** `SLUICE_KAFKA_BROKERS` (comma-separated host:port), default `127.0.0.1:9092`. */
  kafka: process.env.SLUICE_KAFKA_BROKERS ?? '127.0.0.1:9092',
} as const;
