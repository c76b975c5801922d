/**
 * Typed errors of @sluice/core. Every error says what failed, with which input, and what to do;
 * `retriable` tells the retry module whether trying again may succeed.
 */

/** Options every Sluice error takes. */
export interface SluiceErrorOptions {
  /** Whether the same operation may succeed if tried again (default false). */
  retriable?: boolean;
  /** The underlying error. */
  cause?: unknown;
}

/** Base class of every error Sluice throws. */
export class SluiceError extends Error {
  /** Whether the same operation may succeed if tried again. */
  readonly retriable: boolean;
  override readonly cause: unknown;

  constructor(message: string, options: SluiceErrorOptions = {}) {
    super(message);
    this.name = new.target.name;
    this.retriable = options.retriable ?? false;
    this.cause = options.cause;
  }
}

/** Invalid configuration or arguments given by the caller; fix the call, retrying will not help. */
export class ConfigError extends SluiceError {
  constructor(
    message: string,
    /** The option that is wrong. */
    readonly option?: string,
  ) {
    super(message, { retriable: false });
  }
}

/** A record that does not match its schema. Goes to the dead letters, never crashes a run. */
export class ValidationError extends SluiceError {
  constructor(
    message: string,
    /** Field paths with their problems, e.g. `["val: expected number"]`. */
    readonly issues: readonly string[],
  ) {
    super(message, { retriable: false });
  }
}

/** A source could not be read at all (missing file, refused connection). */
export class SourceError extends SluiceError {
  constructor(
    message: string,
    /** The source's name. */
    readonly source: string,
    options: SluiceErrorOptions = {},
  ) {
    super(message, options);
  }
}

/** A broker operation failed. `retriable` when the connection or broker may come back. */
export class BrokerError extends SluiceError {
  constructor(
    message: string,
    /** The broker operation, e.g. `publish`, `ack`, `consume`. */
    readonly operation: string,
    /** The topic involved. */
    readonly topic: string,
    options: SluiceErrorOptions = {},
  ) {
    super(message, options);
  }
}

/** A store operation failed. `retriable` for lost connections and serialization conflicts. */
export class StoreError extends SluiceError {
  constructor(
    message: string,
    /** The store operation, e.g. `write`, `migrate`, `query`. */
    readonly operation: string,
    /** The table involved, when there is one. */
    readonly table?: string,
    options: SluiceErrorOptions = {},
  ) {
    super(message, options);
  }
}

/** A retriable operation kept failing until its retry budget ran out. Stops the pipeline loudly. */
export class RetryExhaustedError extends SluiceError {
  constructor(
    /** The operation that was retried. */
    readonly operation: string,
    /** How many attempts were made. */
    readonly attempts: number,
    cause: unknown,
  ) {
    super(
      `${operation} failed ${attempts} times in a row; last error: ${describeError(cause)}. ` +
        'Check that the service is reachable, or raise the retry budget.',
      { retriable: false, cause },
    );
  }
}

/** A table or column name from configuration that is not a safe SQL identifier. */
export class IdentifierError extends ConfigError {
  constructor(
    /** The rejected identifier. */
    readonly identifier: string,
  ) {
    super(
      `"${identifier}" is not a valid table or column name: use letters, digits and underscores, ` +
        'starting with a letter or underscore, at most 63 characters.',
      'identifier',
    );
  }
}

/** Whether an error says that retrying may succeed. Non-Sluice errors are not retriable. */
export function isRetriable(error: unknown): boolean {
  return error instanceof SluiceError ? error.retriable : false;
}

/** One-line description of anything thrown. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
