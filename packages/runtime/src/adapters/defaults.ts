/**
 * Defaults from the environment, so one program runs embedded or on real servers without a code
 * change: `SLUICE_BROKER` and `SLUICE_STORE` (URLs or short names), beside the existing
 * `SLUICE_REDIS_URL`, `SLUICE_KAFKA_BROKERS`, `SLUICE_RABBITMQ_URL` and `SLUICE_PG_URL`.
 */

/** `SLUICE_BROKER`, else `memory:`. */
export function defaultBrokerUrl(env: NodeJS.ProcessEnv = process.env): string {
  return nonEmpty(env.SLUICE_BROKER) ?? 'memory:';
}

/** `SLUICE_STORE`, else SQLite in `sqliteFile` (default `sluice-out/sluice.db`). */
export function defaultStoreUrl(sqliteFile = 'sluice-out/sluice.db', env: NodeJS.ProcessEnv = process.env): string {
  return nonEmpty(env.SLUICE_STORE) ?? `sqlite:${sqliteFile}`;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}
