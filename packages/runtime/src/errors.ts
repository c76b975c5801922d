/**
 * Typed errors of @sluice/runtime. Both are `ConfigError`s (fix the call; retrying will not help),
 * so a command exits 2 on them.
 */
import { ConfigError } from '@sluice/core';

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
