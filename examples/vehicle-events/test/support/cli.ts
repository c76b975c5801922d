/** Runs `src/cli.ts` as a child process (through tsx), the way a user runs `pnpm vehicle-events`. */
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

/** Starts `tsx --conditions=source src/cli.ts ...args` in `cwd` (default: the example's folder). */
export function spawnCli(args: readonly string[], cwd = exampleDir, env: NodeJS.ProcessEnv = {}): ChildProcess {
  // The commands' defaults are under test: a SLUICE_STORE of the caller's must not change them.
  const { SLUICE_STORE: _store, ...inherited } = process.env;
  return spawn(tsx, ['--conditions=source', `${exampleDir}src/cli.ts`, ...args], {
    cwd,
    env: { ...inherited, NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Collects a child's output as it comes. */
export function collect(child: ChildProcess): { stdout: () => string; stderr: () => string } {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return { stdout: () => stdout, stderr: () => stderr };
}

/** Runs a command to its end (killed after `timeoutMs`) and returns its output. */
export async function runCli(args: readonly string[], options: { cwd?: string; timeoutMs?: number } = {}): Promise<CliResult> {
  const child = spawnCli(args, options.cwd);
  const output = collect(child);
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
  const [code] = (await once(child, 'close')) as [number | null];
  clearTimeout(timer);
  return { code, stdout: output.stdout(), stderr: output.stderr() };
}
