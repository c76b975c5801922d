/**
 * Typed errors of @sluice/runtime. The URL, usage and missing-adapter errors are `ConfigError`s
 * (fix the call; retrying will not help), so a command exits 2 on them; `HttpError` is a request
 * that an HTTP route refuses, with the status to answer.
 */
import { ConfigError, SluiceError } from '@sluice/core';

/**
 * A broker or store URL that Sluice cannot open: an unknown scheme or a malformed URL. The message
 * names what was given (password removed) and lists what is supported.
 */
export class AdapterUrlError extends ConfigError {
  constructor(
    message: string,
    /** `broker` or `store`. */
    readonly role: 'broker' | 'store',
    /** The URL as given, with any password replaced by `***`. */
    readonly given: string,
    /** The URL forms that are supported, for the message and for callers. */
    readonly supported: readonly string[],
  ) {
    super(message, role);
  }
}

/** A command line that cannot be run: an unknown option, a bad value, a missing argument. */
export class UsageError extends ConfigError {
  constructor(
    message: string,
    /** The option or argument that is wrong, e.g. `--port`. */
    option?: string,
  ) {
    super(message, option);
  }
}

/** An adapter package that is not installed next to @sluice/runtime. */
export class AdapterMissingError extends ConfigError {
  constructor(
    /** The package that could not be loaded, e.g. `@sluice/adapter-kafka`. */
    readonly packageName: string,
    /** The URL it was needed for (password removed). */
    readonly given: string,
    cause: unknown,
  ) {
    super(`cannot open ${given}: the package ${packageName} is not installed; add it with \`pnpm add ${packageName}\``, 'url');
    Object.defineProperty(this, 'cause', { value: cause });
  }
}

/**
 * An HTTP request that cannot be served as sent: the status to answer and a message for the client
 * that says what was wrong and what to send instead. Never retriable as it is (the client must
 * change the request), except 408/503, which the client may simply try again.
 */
export class HttpError extends SluiceError {
  constructor(
    /** The HTTP status to answer, e.g. 413. */
    readonly status: number,
    message: string,
    options: {
      /** Extra fields of the JSON answer (e.g. `{ limit: 65536 }`). */
      fields?: Record<string, unknown>;
      /** Headers of the answer (e.g. `{ allow: 'POST' }`). */
      headers?: Record<string, string>;
      /** Close the connection after the answer (the rest of the body is not read). */
      close?: boolean;
      cause?: unknown;
    } = {},
  ) {
    super(message, { retriable: status === 408 || status === 503, cause: options.cause });
    this.fields = options.fields ?? {};
    this.headers = options.headers ?? {};
    this.close = options.close ?? false;
  }

  readonly fields: Record<string, unknown>;
  readonly headers: Record<string, string>;
  readonly close: boolean;

  /** The JSON answer: `{ error, ...fields }`. */
  toJSON(): Record<string, unknown> {
    return { error: this.message, ...this.fields };
  }
}
