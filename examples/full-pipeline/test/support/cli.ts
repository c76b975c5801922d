/** Runs `src/cli.ts` as a child process (through tsx), the way a user runs `pnpm full-pipeline`. */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

/** The example's folder. */
export const exampleDir = fileURLToPath(new URL('../..', import.meta.url));
const tsx = `${exampleDir}node_modules/.bin/tsx`;

/** What a finished command printed and how it ended. */
export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Starts `tsx --conditions=source src/cli.ts ...args`. */
export function spawnCli(args: readonly string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  return spawn(tsx, ['--conditions=source', 'src/cli.ts', ...args], {
    cwd: exampleDir,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Collects a child's output. */
function collect(child: ChildProcess): { stdout: () => string; stderr: () => string } {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return { stdout: () => stdout, stderr: () => stderr };
}

/** Runs a command to its end (killed after `timeoutMs`) and returns its output. */
export async function runCli(args: readonly string[], timeoutMs = 60_000, env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  const child = spawnCli(args, env);
  const output = collect(child);
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const [code] = (await once(child, 'close')) as [number | null];
  clearTimeout(timer);
  return { code, stdout: output.stdout(), stderr: output.stderr() };
}

/** A long-running `serve` process and the address it listens on. */
export interface Served {
  url: string;
  child: ChildProcess;
  /** Sends SIGTERM and waits for the exit; returns what it printed. */
  stop(): Promise<CliResult>;
}

/** Starts `serve ...args --port 0` and resolves once it prints its address. */
export async function startServe(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<Served> {
  const child = spawnCli(['serve', ...args, '--port', '0'], env);
  const output = collect(child);
  const closed = once(child, 'close') as Promise<[number | null]>;
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start in time: ${output.stderr()}`)), 30_000);
    const check = () => {
      const match = /serving (http:\/\/[\d.]+:\d+)\//.exec(output.stdout());
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    child.stdout?.on('data', check);
    void closed.then(([code]) => reject(new Error(`serve exited with ${code}: ${output.stderr()}`)));
  });
  return {
    url,
    child,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      const [code] = await closed;
      return { code, stdout: output.stdout(), stderr: output.stderr() };
    },
  };
}
