/** Child processes running TypeScript workers, with their JSON-line status output collected. */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

/** A worker process and what it printed. */
export interface Worker {
  name: string;
  child: ChildProcess;
  /** Parsed JSON lines from stdout. */
  events: Record<string, unknown>[];
  stderr: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const testRoot = fileURLToPath(new URL('..', import.meta.url));

/** Starts `node --conditions=source --import tsx <script> ...args` from the test package. */
export function startWorker(name: string, script: string, args: string[], env: Record<string, string> = {}): Worker {
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', script, ...args], {
    cwd: testRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const worker: Worker = { name, child, events: [], stderr: [], exited: once(child, 'exit').then(([code, signal]) => ({ code, signal })) as Worker['exited'] };
  let buffered = '';
  child.stdout!.setEncoding('utf8').on('data', (text: string) => {
    buffered += text;
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    for (const line of lines) {
      try {
        worker.events.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        worker.stderr.push(line);
      }
    }
  });
  child.stderr!.setEncoding('utf8').on('data', (text: string) => worker.stderr.push(text));
  return worker;
}

/** Sends `signal` (if still running) and waits for the exit, at most `timeoutMs`, then SIGKILL. */
export async function stopWorker(worker: Worker, signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 30_000) {
  if (worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill(signal);
  const timer = setTimeout(() => worker.child.kill('SIGKILL'), timeoutMs);
  try {
    return await worker.exited;
  } finally {
    clearTimeout(timer);
  }
}

/** Polls `check` every `intervalMs` until it returns true, or throws after `timeoutMs` with `what`. */
export async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs: number, intervalMs = 250): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
