/**
 * Server timeouts, so a client cannot hold a connection by sending slowly: a deadline for the
 * headers, one for the whole request (headers and body), and for an idle keep-alive connection.
 * Answers and streams going out are not limited (an event stream may last for hours).
 */
import type { ServerOptions } from 'node:http';

/** Timeouts of a server, in ms. */
export interface ServerTimeouts {
  /** Headers must arrive within this (default 10 000). */
  headersMs?: number;
  /** The whole request, body included, must arrive within this (default 300 000). */
  requestMs?: number;
  /** An idle keep-alive connection is closed after this (default 5 000). */
  keepAliveMs?: number;
  /** How often the server checks the header and request deadlines (default 1000; Node's own is 30 000). */
  checkIntervalMs?: number;
}

/** The timeouts with their defaults filled in (headers never later than the whole request). */
export function resolveTimeouts(timeouts: ServerTimeouts = {}): Required<ServerTimeouts> {
  const requestMs = timeouts.requestMs ?? 300_000;
  return {
    headersMs: Math.min(timeouts.headersMs ?? 10_000, requestMs),
    requestMs,
    keepAliveMs: timeouts.keepAliveMs ?? 5_000,
    checkIntervalMs: timeouts.checkIntervalMs ?? 1_000,
  };
}

/** Options for `http.createServer(options, handler)`. */
export function httpServerOptions(timeouts: ServerTimeouts = {}): ServerOptions {
  const t = resolveTimeouts(timeouts);
  return { headersTimeout: t.headersMs, requestTimeout: t.requestMs, keepAliveTimeout: t.keepAliveMs, connectionsCheckingInterval: t.checkIntervalMs };
}

/** Options to spread into `Fastify({ ...fastifyTimeouts(), ... })` (Fastify's own default turns the request timeout off). */
export function fastifyTimeouts(timeouts: ServerTimeouts = {}): { requestTimeout: number; keepAliveTimeout: number; http: ServerOptions } {
  const t = resolveTimeouts(timeouts);
  return { requestTimeout: t.requestMs, keepAliveTimeout: t.keepAliveMs, http: httpServerOptions(t) };
}
