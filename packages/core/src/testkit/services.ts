/**
 * Real-server checks for tests. With `CI=true` an unreachable service fails the run; elsewhere
 * the suites that need it are skipped with one line saying why and how to start it.
 */
import { connect } from 'node:net';

export { serviceUrls } from '../env.js';

/** `SLUICE_RABBITMQ_URL`, default `amqp://guest:guest@127.0.0.1:5672`: the RabbitMQ the tests use. */
export const rabbitmqUrl = process.env.SLUICE_RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

/** Host and port of a service URL or `host:port` list (the first entry). */
export function hostPort(url: string): { host: string; port: number } {
  const first = url.split(',')[0]!.trim();
  const parsed = new URL(first.includes('://') ? first : `tcp://${first}`);
  return { host: parsed.hostname.replace(/^\[|\]$/g, ''), port: Number(parsed.port) };
}

/** Whether a TCP connection to `host:port` opens within `timeoutMs`. */
export function canConnect(host: string, port: number, timeoutMs = 1500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const finish = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => finish(false));
    socket.once('connect', () => finish(true));
    socket.once('error', () => finish(false));
  });
}

/**
 * Resolves true when the service answers. When it does not: throws under `CI=true`, otherwise
 * prints one line naming the service and how to start it, and resolves false (skip the suite).
 */
export async function requireService(name: string, url: string, howToStart = 'pnpm services:up'): Promise<boolean> {
  const { host, port } = hostPort(url);
  if (await canConnect(host, port)) return true;
  const line = `${name} is not reachable at ${host}:${port}; start it with \`${howToStart}\` or set its URL in the environment.`;
  if (process.env.CI === 'true') throw new Error(`${line} (CI=true: an unreachable service fails the run)`);
  console.warn(`[skip] ${line}`);
  return false;
}

/** A random lowercase name for a test topic, table or stream: `prefix_` + 10 random characters. */
export function randomName(prefix: string): string {
  return `${prefix}_${Math.random().toString(36).slice(2, 12).padEnd(10, '0')}`;
}
