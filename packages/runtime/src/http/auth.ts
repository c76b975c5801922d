/**
 * Bearer tokens and where a server may listen: the scheme is matched case-insensitively (RFC 9110),
 * the token in constant time; an empty `--token` (an unset variable) is a start-up error rather than
 * auth silently off; a server without a token listens on loopback only.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import { UsageError } from '../errors.js';

/** The token of an `Authorization: Bearer <token>` header (any case of `Bearer`), or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = /^bearer[ \t]+(\S+)[ \t]*$/i.exec(header ?? '');
  return match?.[1];
}

/** Whether `header` carries `Bearer <token>`; compared in constant time (of hashes, so lengths do not leak). */
export function hasBearerToken(header: string | undefined, token: string): boolean {
  const given = bearerToken(header);
  if (given === undefined) return false;
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(given), digest(token));
}

/** The answer to a request without the right token. */
export const bearerChallenge = {
  status: 401,
  headers: { 'www-authenticate': 'Bearer' },
  body: { error: 'missing or wrong bearer token: send the header Authorization: Bearer <token>' },
} as const;

/**
 * A `--token` value checked: `undefined` when not given; a `UsageError` when given but empty or
 * blank (e.g. `--token "$UNSET"`), which would otherwise turn auth off without a word.
 */
export function tokenOption(value: string | undefined, option = 'token'): string | undefined {
  if (value === undefined) return undefined;
  if (value.trim() === '') throw new UsageError(`--${option} is empty (an unset variable?): give the token, or leave --${option} out to serve on loopback only`, `--${option}`);
  if (/\s/.test(value)) throw new UsageError(`--${option} must not contain spaces`, `--${option}`);
  return value;
}

/** Whether `host` is a loopback address or name (127.0.0.0/8, ::1, localhost). */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (bare === 'localhost' || bare.endsWith('.localhost')) return true;
  if (bare === '::1') return true;
  const v4 = bare.startsWith('::ffff:') ? bare.slice(7) : bare;
  return isIP(v4) === 4 && v4.startsWith('127.');
}

/**
 * The host to listen on: `host` (default `127.0.0.1`), refused with a `UsageError` when it is not
 * loopback and no token is set — a server without auth is never reachable from another machine.
 */
export function listenHost(host: string | undefined, token: string | undefined, options: { hostOption?: string; tokenOption?: string } = {}): string {
  const chosen = host ?? '127.0.0.1';
  if (chosen.trim() === '') throw new UsageError(`--${options.hostOption ?? 'host'} is empty: give an address, e.g. 127.0.0.1`, `--${options.hostOption ?? 'host'}`);
  if (token === undefined && !isLoopbackHost(chosen)) {
    throw new UsageError(
      `--${options.hostOption ?? 'host'} ${chosen} is not loopback and no --${options.tokenOption ?? 'token'} is set: give a token to serve beyond this machine`,
      `--${options.hostOption ?? 'host'}`,
    );
  }
  return chosen;
}
