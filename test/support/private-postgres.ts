/**
 * A throwaway PostgreSQL server on its own port and data directory, so a test can restart or
 * kill it without disturbing the shared server or other tests. Needs the server binaries of the
 * machine's PostgreSQL; as root it runs them as the `postgres` user.
 */
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
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
  /** Stops the server and removes its data directory (unless the caller gave the directory). */
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
  /**
   * A directory of the caller's instead of a fresh one under $TMPDIR: a server initialised there
   * before is started again with its data, and `stop()` leaves the directory (e.g. a bench that
   * keeps a 30 GB database for a later run of its queries alone).
   */
  dir?: string;
}

/** Initialises and starts a server on `port` (trust auth, user `postgres`; fsync off unless asked). */
export function startPrivatePostgres(port: number, options: PrivatePostgresOptions = {}): PrivatePostgres {
  const bin = postgresBinDir();
  if (!bin) throw new Error('PostgreSQL server binaries not found under /usr/lib/postgresql; install postgresql');
  const kept = options.dir !== undefined;
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'sluice-pg-'));
  if (kept) mkdirSync(dir, { recursive: true });
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    chownSync(dir, uid, gid);
  }
  const run = (tool: string, args: string[], timeout = 60_000) => {
    const command = asRoot ? ['/usr/sbin/runuser', '-u', 'postgres', '--', join(bin, tool), ...args] : [join(bin, tool), ...args];
    execFileSync(command[0]!, command.slice(1), { stdio: ['ignore', 'ignore', 'pipe'], timeout });
  };
  const data = join(dir, 'data');
  if (!existsSync(join(data, 'PG_VERSION'))) run('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
  const settings = { listen_addresses: '127.0.0.1', fsync: options.fsync ? 'on' : 'off', max_connections: 50, ...options.settings };
  const serverOptions = [`-p ${port} -k ${dir}`, ...Object.entries(settings).map(([name, value]) => `-c ${name}=${value}`)].join(' ');
  // A kept server stopped by a crash recovers on start, which may take minutes.
  const startWait = kept ? 900 : 60;
  const start = () => run('pg_ctl', ['-D', data, '-o', serverOptions, '-l', join(dir, 'server.log'), '-w', '-t', String(startWait), 'start'], startWait * 1000);
  const stopServer = (mode: string, wait = 60) => run('pg_ctl', ['-D', data, '-m', mode, '-w', '-t', String(wait), 'stop'], wait * 1000);
  try {
    start();
  } catch (error) {
    if (!kept) rmSync(dir, { recursive: true, force: true });
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
        // A kept directory is shut down cleanly (its shutdown checkpoint may write GBs of buffers):
        // the next start then needs no recovery.
        if (existsSync(join(data, 'postmaster.pid'))) {
          if (kept) stopServer('fast', 900);
          else stopServer('immediate');
        }
      } finally {
        if (!kept) rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
