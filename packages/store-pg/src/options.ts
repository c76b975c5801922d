/**
 * Options of the PostgreSQL store, checked before anything connects.
 */
import { ConfigError, assertIdentifier } from '@sluice/core';
import type { PoolSettings } from './connection.js';

/** How to reach PostgreSQL and where to keep the tables. */
export interface PgStoreOptions {
  /** e.g. `postgres://user@127.0.0.1:5432/db` (the tests read `SLUICE_PG_URL`). */
  connectionString: string;
  /** Most connections the store opens (default 4). Writes beyond it wait for a free connection. */
  poolSize?: number;
  /** Schema of the tables, created if missing (default `public`). A plain identifier. */
  schema?: string;
  /** Server-side `statement_timeout` of every statement, in ms (default: none). Timeouts are retriable. */
  statementTimeoutMs?: number;
  /** Most time to wait for a new connection, in ms (default 10 000). */
  connectTimeoutMs?: number;
  /** `application_name` of the connections, seen in `pg_stat_activity` (default `sluice`). */
  applicationName?: string;
  /**
   * Server settings of every connection (sent as `-c name=value` at connect), e.g.
   * `{ max_parallel_workers_per_gather: 0, work_mem: '64MB' }`. Names are setting names; values are
   * numbers, booleans or plain words (letters, digits, `_ . + -`). Default: the server's own.
   */
  serverSettings?: Readonly<Record<string, string | number | boolean>>;
  /**
   * Told about errors of idle connections (a server restart kills them). The pool replaces such
   * connections by itself; the process never crashes on them. Default: ignore.
   */
  onPoolError?: (error: Error) => void;
}

/** Options with defaults applied. */
export type ResolvedPgStoreOptions = PoolSettings;

function positiveInteger(value: unknown, option: string, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) {
    throw new ConfigError(`createPgStore: ${option} must be an integer from 1 to ${max}, got ${String(value)}`, option);
  }
  return value;
}

/** Applies defaults and checks every option; throws `ConfigError` naming the bad one. */
export function resolveOptions(options: PgStoreOptions): ResolvedPgStoreOptions {
  if (typeof options?.connectionString !== 'string' || options.connectionString.trim() === '') {
    throw new ConfigError(
      'createPgStore: connectionString is required, e.g. postgres://postgres@127.0.0.1:5432/postgres',
      'connectionString',
    );
  }
  const schema = options.schema ?? 'public';
  assertIdentifier(schema);
  return {
    connectionString: options.connectionString,
    schema,
    poolSize: positiveInteger(options.poolSize ?? 4, 'poolSize', 1000),
    connectTimeoutMs: positiveInteger(options.connectTimeoutMs ?? 10_000, 'connectTimeoutMs', 2 ** 31 - 1),
    applicationName: options.applicationName ?? 'sluice',
    ...(options.statementTimeoutMs === undefined
      ? {}
      : { statementTimeoutMs: positiveInteger(options.statementTimeoutMs, 'statementTimeoutMs', 2 ** 31 - 1) }),
    ...(options.onPoolError === undefined ? {} : { onPoolError: options.onPoolError }),
    serverSettings: checkServerSettings(options.serverSettings ?? {}),
  };
}

/** The server settings as given, or a `ConfigError` naming the first one that cannot be sent. */
function checkServerSettings(settings: Readonly<Record<string, string | number | boolean>>): Record<string, string> {
  const checked: Record<string, string> = {};
  for (const [name, value] of Object.entries(settings)) {
    const text = typeof value === 'number' && Number.isFinite(value) ? String(value) : typeof value === 'boolean' ? (value ? 'on' : 'off') : value;
    if (!/^[A-Za-z_][A-Za-z0-9_.]*$/.test(name) || typeof text !== 'string' || !/^[A-Za-z0-9_.+-]+$/.test(text)) {
      throw new ConfigError(
        `createPgStore: serverSettings.${name} = ${JSON.stringify(value)} cannot be sent: give a setting name and a number, a boolean or a plain word (letters, digits, _ . + -)`,
        'serverSettings',
      );
    }
    checked[name] = text;
  }
  return checked;
}
