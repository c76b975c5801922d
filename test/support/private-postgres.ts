/**
 * A throwaway PostgreSQL server on its own port and data directory, so a test can restart or
 * kill it without disturbing the shared server or other tests. Needs the server binaries of the
 * machine's PostgreSQL; as root it runs them as the `postgres` user.
 */
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A running private server. */
export interface PrivatePostgres {
  url: string;
  port: number;
  /** Fast shutdown (clients see their connections dropped); `start()` brings it back. */
  shutdown(): void;
  /** Starts the server after `shutdown()`. */
  start(): void;
  /** Stops the server and removes its data directory. */
  stop(): void;
}

/** Directory of the newest installed PostgreSQL server binaries, or undefined. */
export function postgresBinDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).sort((a, b) => Number(b) - Number(a));
  return versions.map((v) => join(root, v, 'bin')).find((dir) => existsSync(join(dir, 'pg_ctl')));
}

/** Whether a private server can be started here (binaries present, and a user to run them as). */
export function canRunPrivatePostgres(): boolean {
  return postgresBinDir() !== undefined && (process.getuid?.() !== 0 || existsSync('/usr/sbin/runuser'));
}

/** How a private server runs. */
export interface PrivatePostgresOptions {
  /** Write to disk durably (default false: tests restart servers, they do not lose power). */
  fsync?: boolean;
  /** Further server settings (`-c name=value`), e.g. `{ shared_buffers: '6GB' }`. */
  settings?: Record<string, string | number>;
}

/** Initialises and starts a server on `port` (trust auth, user `postgres`; fsync off unless asked). */
export function startPrivatePostgres(port: number, options: PrivatePostgresOptions = {}): PrivatePostgres {
  const bin = postgresBinDir();
  if (!bin) throw new Error('PostgreSQL server binaries not found under /usr/lib/postgresql; install postgresql');
  const dir = mkdtempSync(join(tmpdir(), 'sluice-pg-'));
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    chownSync(dir, uid, gid);
  }
  const run = (tool: string, args: string[]) => {
    const command = asRoot ? ['/usr/sbin/runuser', '-u', 'postgres', '--', join(bin, tool), ...args] : [join(bin, tool), ...args];
    execFileSync(command[0]!, command.slice(1), { stdio: ['ignore', 'ignore', 'pipe'], timeout: 60_000 });
  };
  const data = join(dir, 'data');
  run('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
  const settings = { listen_addresses: '127.0.0.1', fsync: options.fsync ? 'on' : 'off', max_connections: 50, ...options.settings };
  const serverOptions = [`-p ${port} -k ${dir}`, ...Object.entries(settings).map(([name, value]) => `-c ${name}=${value}`)].join(' ');
  const start = () => run('pg_ctl', ['-D', data, '-o', serverOptions, '-l', join(dir, 'server.log'), '-w', '-t', '60', 'start']);
  const stopServer = (mode: string) => run('pg_ctl', ['-D', data, '-m', mode, '-w', '-t', '60', 'stop']);
  try {
    start();
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    shutdown: () => stopServer('fast'),
    start,
    stop: () => {
      try {
        // Not running (e.g. a test failed during an outage): nothing to stop.
        if (existsSync(join(data, 'postmaster.pid'))) stopServer('immediate');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
