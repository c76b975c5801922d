/**
 * A throwaway `redis-server` on its own port and data directory, durable like a production broker
 * (`appendonly yes`, `appendfsync always`: every write is on disk before Redis answers), so a test
 * can SIGKILL it and start it again on the same port and data without touching the shared Redis.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { redisAnswers } from './redis-command.js';
import { waitFor } from './processes.js';

/** A running private server. */
export interface PrivateRedis {
  url: string;
  port: number;
  /** SIGKILLs the server (no shutdown, no final save); resolves once it has exited. */
  crash(): Promise<void>;
  /** Starts it again on the same port and data; resolves once it answers PING (its data loaded). */
  start(): Promise<void>;
  /** Stops the server and removes its data directory. */
  stop(): Promise<void>;
}

/** Whether `redis-server` is installed here. */
export function canRunPrivateRedis(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

/** Starts a server on `port` (127.0.0.1) with an append-only file synced on every write. */
export async function startPrivateRedis(port: number): Promise<PrivateRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-redis-'));
  const url = `redis://127.0.0.1:${port}`;
  const args = [
    '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--logfile', join(dir, 'server.log'),
    '--appendonly', 'yes', '--appendfsync', 'always', '--save', '', '--daemonize', 'no',
  ];
  let server: ChildProcess;
  const start = async () => {
    server = spawn('redis-server', args, { stdio: 'ignore' });
    let failure: Error | undefined;
    server.once('error', (error) => (failure = error));
    await waitFor(`the private redis-server on port ${port} (log: ${dir}/server.log)`, async () => {
      if (failure) throw new Error(`could not start redis-server: ${failure.message}; install Redis (apt-get install redis-server)`);
      if (server.exitCode !== null) throw new Error(`redis-server on port ${port} exited with ${server.exitCode}; see ${dir}/server.log`);
      return redisAnswers(url);
    }, 60_000, 50);
  };
  const crash = async () => {
    if (server.exitCode !== null || server.signalCode !== null) return;
    const exited = once(server, 'exit');
    server.kill('SIGKILL');
    await exited;
  };
  await start();
  return {
    url,
    port,
    crash,
    start,
    stop: async () => {
      try {
        await crash();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
