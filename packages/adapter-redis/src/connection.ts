/**
 * Redis connections of the broker: how they are made, how they reconnect, and connecting lazily.
 *
 * Commands issued while a connection is down reject at once (`disableOfflineQueue`) instead of
 * waiting in memory, so callers see a retriable error and apply their own backoff; the socket
 * meanwhile reconnects by itself with exponential backoff, forever once it has been up.
 */
import { createClient, type RedisClientType } from 'redis';

/** The client type the broker works with (RESP2, no type mapping). */
export type Client = RedisClientType;

/** Attempts of a first connection before `connect()` gives up with a retriable error. */
const FIRST_CONNECT_ATTEMPTS = 3;

/**
 * Delay before reconnect attempt `retries + 1`: 50 ms doubling to 2 s, plus up to 100 ms jitter.
 * Before the first success it gives up after a few attempts, so a wrong URL fails fast.
 */
export function reconnectDelay(retries: number, everReady: boolean, cause: unknown): number | Error {
  if (!everReady && retries >= FIRST_CONNECT_ATTEMPTS - 1) {
    return cause instanceof Error ? cause : new Error(String(cause));
  }
  return Math.min(50 * 2 ** retries, 2000) + Math.floor(Math.random() * 100);
}

/** A name Redis accepts for `CLIENT SETNAME` (no spaces or newlines), shown by `CLIENT LIST`. */
export function connectionName(...parts: string[]): string {
  return parts.join(':').replace(/[^\w:.@/-]/g, '_');
}

/**
 * A new, not yet connected client for `url` with the broker's reconnect and queue settings,
 * named `name` on the server.
 */
export function newClient(url: string, name: string): Client {
  let everReady = false;
  const client = createClient({
    url,
    name,
    disableOfflineQueue: true,
    socket: { reconnectStrategy: (retries, cause) => reconnectDelay(retries, everReady, cause) },
  }) as unknown as Client;
  client.on('ready', () => {
    everReady = true;
  });
  return quiet(client);
}

/** A new client like `client` (same server and settings) named `name`, not yet connected. */
export function duplicateClient(client: Client, name: string): Client {
  return quiet(client.duplicate({ name, disableOfflineQueue: true }) as Client);
}

const opening = new WeakMap<Client, Promise<unknown>>();

/**
 * Connects `client` unless it is open (connected, or reconnecting by itself). Concurrent calls
 * share one attempt and all wait for it: a client counts as open as soon as it starts connecting.
 */
export async function openClient(client: Client): Promise<Client> {
  let pending = opening.get(client);
  if (!pending) {
    if (client.isOpen) return client;
    pending = client.connect().finally(() => opening.delete(client));
    opening.set(client, pending);
  }
  await pending;
  return client;
}

/** Drops the connection at once, rejecting what is in flight; no-op if already closed. */
export function destroyClient(client: Client): void {
  if (client.isOpen) client.destroy();
}

/**
 * Without an `error` listener node-redis would crash the process on a dropped socket. The errors
 * still reach callers as rejected commands, which map them to retriable `BrokerError`s.
 */
function quiet(client: Client): Client {
  client.on('error', () => undefined);
  return client;
}
