/** Runs `src/cli.ts` as a child process (through tsx), the way a user runs `pnpm trips`. */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

/** The example's folder. */
export const exampleDir = fileURLToPath(new URL('../..', import.meta.url));
const tsx = `${exampleDir}node_modules/.bin/tsx`;

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Starts `tsx --conditions=source src/cli.ts ...args` with output collected. */
export function startCli(args: readonly string[], env: NodeJS.ProcessEnv = {}): { child: ChildProcess; result: Promise<CliResult>; stdout: () => string; stderr: () => string } {
  const child = spawn(tsx, ['--conditions=source', 'src/cli.ts', ...args], {
    cwd: exampleDir,
    env: { ...process.env, SLUICE_PROGRESS_INTERVAL_MS: '200', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const result = (once(child, 'close') as Promise<[number | null, NodeJS.Signals | null]>).then(([code, signal]) => ({ code, signal, stdout, stderr }));
  return { child, result, stdout: () => stdout, stderr: () => stderr };
}

/** Runs a command to its end (killed after `timeoutMs`). */
export async function runCli(args: readonly string[], timeoutMs = 60_000, env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  const run = startCli(args, env);
  const timer = setTimeout(() => killGroup(run.child, 'SIGKILL'), timeoutMs);
  const result = await run.result;
  clearTimeout(timer);
  return result;
}

/** Signals a child started by {@link startCli} and everything it started (its process group). */
export function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

/** The last line of stdout parsed as JSON. */
export function lastJson<T = unknown>(stdout: string): T {
  const lines = stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]!) as T;
}

/** Resolves once `output()` matches `pattern` (checked every 20 ms); rejects after `timeoutMs` with the output so far. */
export function waitForOutput(output: () => string, pattern: RegExp, timeoutMs = 60_000): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      clearInterval(check);
      reject(new Error(`no output matching ${pattern} in ${timeoutMs} ms: ${output()}`));
    }, timeoutMs);
    const check = setInterval(() => {
      if (pattern.test(output())) {
        clearInterval(check);
        clearTimeout(timer);
        resolve();
      }
    }, 20);
  });
}
