/**
 * Errors of @sluice/store-pg: every failure of the PostgreSQL driver becomes a `PgStoreError`
 * (a `StoreError`) that names the operation and the table, keeps PostgreSQL's SQLSTATE and says
 * whether a retry may succeed. The classification is pure and tested without a server.
 */
import { SluiceError, StoreError, type SluiceErrorOptions } from '@sluice/core';

/** A PostgreSQL store operation failed. `sqlState` is PostgreSQL's error code, when it sent one. */
export class PgStoreError extends StoreError {
  constructor(
    message: string,
    operation: string,
    table?: string,
    options: SluiceErrorOptions & {
      /** The SQLSTATE PostgreSQL reported, e.g. `23505`. */
      sqlState?: string;
    } = {},
  ) {
    super(message, operation, table, options);
    this.sqlState = options.sqlState;
  }

  /** The SQLSTATE PostgreSQL reported, e.g. `23505`; undefined for client-side failures. */
  readonly sqlState: string | undefined;
}

/** SQLSTATEs after which the same operation may succeed (besides class 08, connection exceptions). */
const RETRIABLE_STATES = new Set([
  '40001', // serialization_failure
  '40P01', // deadlock_detected
  '53300', // too_many_connections
  '55P03', // lock_not_available
  '57014', // query_canceled (statement_timeout)
  '57P01', // admin_shutdown (pg_terminate_backend, server restart)
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (server starting up or in recovery)
]);

/** Node socket errors that mean the server is unreachable for now. */
const RETRIABLE_SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);

/** Messages of node-postgres for connections lost or never made (it sends no code with them). */
const RETRIABLE_MESSAGE =
  /connection terminated|connection error|not queryable|timeout exceeded when trying to connect|terminating connection|server closed the connection|socket hang up/i;

/** The fields node-postgres puts on its errors. */
interface DriverErrorFields {
  code?: unknown;
  detail?: unknown;
  hint?: unknown;
  where?: unknown;
  message?: unknown;
}

function fields(error: unknown): DriverErrorFields {
  return typeof error === 'object' && error !== null ? (error as DriverErrorFields) : {};
}

/** The SQLSTATE of a driver error (five characters), if it has one. */
export function sqlStateOf(error: unknown): string | undefined {
  const code = fields(error).code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/**
 * Whether a driver error may go away on its own: a lost or refused connection, a server shutting
 * down or starting, a serialization conflict, a deadlock, a statement timeout.
 */
export function isRetriablePgError(error: unknown): boolean {
  if (error instanceof SluiceError) return error.retriable;
  const state = sqlStateOf(error);
  if (state !== undefined) return state.startsWith('08') || RETRIABLE_STATES.has(state);
  const code = fields(error).code;
  if (typeof code === 'string' && RETRIABLE_SOCKET_CODES.has(code)) return true;
  const message = fields(error).message;
  return typeof message === 'string' && RETRIABLE_MESSAGE.test(message);
}

/** What to tell the caller to do, by the kind of failure. */
function advice(state: string | undefined, retriable: boolean, mode: string | undefined): string {
  if (retriable) {
    return (
      'The connection or the server is temporarily unavailable, or a concurrent transaction got in the way; ' +
      'retrying may succeed (check that PostgreSQL is up).'
    );
  }
  if (state === '23505' && mode === 'append') {
    return "Append mode loads rows known to be new; write the batch with mode 'merge' to upsert rows that may already exist.";
  }
  if (state?.startsWith('22') || state?.startsWith('23')) {
    return 'Fix the values of the rows so they match the table spec; retrying the same data will not help.';
  }
  if (state?.startsWith('42')) {
    return 'Fix the statement or run migrate() with the table spec first; retrying will not help.';
  }
  return 'Retrying will not help; fix the cause above.';
}

/** Where a failure happened, for its message. */
export interface FailureContext {
  /** The store operation: `migrate`, `write`, `query`, `readCheckpoint`, ... */
  operation: string;
  /** The table involved, when there is one (unqualified, as in the spec). */
  table?: string;
  /** The schema of the table, for the message. */
  schema?: string;
  /** The write mode, for writes. */
  mode?: string;
}

/**
 * Wraps anything thrown by the driver into a `PgStoreError` whose message says what failed, on
 * which table, PostgreSQL's own words (with detail and COPY line), and what to do. Sluice errors
 * pass through unchanged.
 */
export function toStoreError(error: unknown, context: FailureContext): SluiceError {
  if (error instanceof SluiceError) return error;
  const state = sqlStateOf(error);
  const retriable = isRetriablePgError(error);
  const { detail, hint, where, message } = fields(error);
  const parts = [typeof message === 'string' ? message : String(error)];
  if (typeof detail === 'string') parts.push(`detail: ${detail}`);
  if (typeof hint === 'string') parts.push(`hint: ${hint}`);
  if (typeof where === 'string') parts.push(`where: ${where}`);
  const code = state ?? (typeof fields(error).code === 'string' ? (fields(error).code as string) : undefined);
  const suffix = code === undefined ? '' : ` (${code})`;
  const text =
    `PostgreSQL ${describeContext(context)} failed: ${parts.join('; ')}${suffix}. ` + advice(state, retriable, context.mode);
  const options = { retriable, cause: error, ...(state === undefined ? {} : { sqlState: state }) };
  return new PgStoreError(text, context.operation, context.table, options);
}

/** `write (merge) of table "public"."t"`: the operation and table of a context, for messages. */
export function describeContext(context: FailureContext): string {
  const mode = context.mode === undefined ? '' : ` (${context.mode})`;
  if (context.table === undefined) return `${context.operation}${mode}`;
  const table = context.schema === undefined ? `"${context.table}"` : `"${context.schema}"."${context.table}"`;
  return `${context.operation}${mode} of table ${table}`;
}

/** A call refused before any I/O: `PostgreSQL <operation> of table … refused: <why>`. Not retriable. */
export function refusal(context: FailureContext, why: string, cause?: unknown): PgStoreError {
  return new PgStoreError(`PostgreSQL ${describeContext(context)} refused: ${why}`, context.operation, context.table, {
    ...(cause === undefined ? {} : { cause }),
  });
}
