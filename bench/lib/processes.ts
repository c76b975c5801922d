/**
 * The parent side of benchmark processes: spawns them (workers from their bundles, see build.ts), waits until each worker is ready, sends
 * `go` to all at once, samples `/proc/<pid>` of every process meanwhile (peak RSS and CPU of
 * processes that cannot report their own, like `psql`), and collects the workers' result lines.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { BUILD_DIR } from './build.js';
import type { WorkerConfig } from './config.js';
import type { WorkerResult } from './worker.js';
import { cpuSecondsOf, peakRssMbOf } from './proc.js';

/** One process of a path: a Sluice or minimal worker script, or a plain command (e.g. `psql`). */
export type ProcessSpec =
  | { role: string; worker: string; args?: string[]; config: WorkerConfig }
  | { role: string; command: string; args: string[]; env?: NodeJS.ProcessEnv };

/** What one process did. */
export interface ProcessOutcome {
  role: string;
  pid: number;
  /** Epoch ms the process started working (`go`, or the spawn of a command). */
  startedAt: number;
  /** Epoch ms it ended its work (its own clock for workers, its exit for commands). */
  endedAt: number;
  /** CPU seconds of the work (from the worker, or sampled from /proc for commands). */
  cpuSec: number;
  /** Peak RSS in MiB (from the worker, or the last VmHWM sampled from /proc for commands). */
  peakRssMb: number;
  /** The worker's full result, for workers. */
  result?: WorkerResult;
}

/** How to run a path's processes. */
export interface RunProcessesOptions {
  /** Runs after every worker is ready and before `go` (e.g. wait for a consumer group to be stable). */
  beforeGo?: () => Promise<void>;
  /** Fail when the processes are not all done after this long. */
  timeoutMs: number;
  /** Write a V8 CPU profile of every worker into this directory. */
  profileDir?: string;
}

/** CPU seconds and peak RSS (MiB) of a live process from /proc, or undefined once it is gone. */
function sample(pid: number): { cpuSec: number; peakRssMb: number } | undefined {
  const cpuSec = cpuSecondsOf(pid);
  const peakRssMb = peakRssMbOf(pid);
  return cpuSec === undefined || peakRssMb === undefined ? undefined : { cpuSec, peakRssMb };
}

interface Running {
  spec: ProcessSpec;
  child: ChildProcess;
  ready: Promise<void>;
  result: Promise<WorkerResult | undefined>;
  exited: Promise<number | null>;
  stderr: string[];
  sampled: { cpuSec: number; peakRssMb: number };
  startedAt: number;
  endedAt: number;
}

function start(spec: ProcessSpec, profileDir: string | undefined): Running {
  const isWorker = 'worker' in spec;
  const child = isWorker
    ? spawn(
        process.execPath,
        [
          // One folder per role, where V8 writes the process's profile.
          ...(profileDir ? ['--cpu-prof', '--cpu-prof-dir', join(profileDir, spec.role)] : []),
          join(BUILD_DIR, spec.worker.replace(/\.ts$/, '.js')),
          JSON.stringify(spec.config),
          ...(spec.args ?? []),
        ],
        { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, KAFKAJS_NO_PARTITIONER_WARNING: '1' } },
      )
    : spawn(spec.command, spec.args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...spec.env } });
  const stderr: string[] = [];
  child.stderr!.setEncoding('utf8').on('data', (text: string) => {
    stderr.push(text);
    if (stderr.length > 200) stderr.splice(0, 100);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let onReady: () => void = () => undefined;
  const ready = isWorker ? new Promise<void>((resolve) => (onReady = resolve)) : Promise.resolve();
  const result = new Promise<WorkerResult | undefined>((resolve) => {
    let buffered = '';
    child.stdout!.setEncoding('utf8').on('data', (text: string) => {
      buffered += text;
      for (let end = buffered.indexOf('\n'); end !== -1; end = buffered.indexOf('\n')) {
        const line = buffered.slice(0, end);
        buffered = buffered.slice(end + 1);
        if (!line.startsWith('{"type":')) continue;
        const message = JSON.parse(line) as { type: string };
        if (message.type === 'ready') onReady();
        if (message.type === 'result') resolve(message as WorkerResult);
      }
    });
    child.once('exit', () => resolve(undefined));
  });
  return { spec, child, ready, result, exited, stderr, sampled: { cpuSec: 0, peakRssMb: 0 }, startedAt: 0, endedAt: 0 };
}

function failure(running: Running, why: string): Error {
  return new Error(`${running.spec.role} (pid ${running.child.pid}) ${why}:\n${running.stderr.join('').slice(-3000)}`);
}

/** Rejects after `ms` with `message`; the timer does not keep the process alive. */
function deadline(ms: number, message: () => string): Promise<never> {
  return new Promise((_, reject) => setTimeout(() => reject(new Error(message())), ms).unref());
}

/**
 * Runs a path's processes to their end and returns what each did. Throws (after killing what is
 * left) if one fails, exits before `ready`, or the path outlives `timeoutMs`.
 */
export async function runProcesses(specs: readonly ProcessSpec[], options: RunProcessesOptions): Promise<ProcessOutcome[]> {
  const workers = specs.filter((s) => 'worker' in s).map((s) => start(s, options.profileDir));
  const all: Running[] = [...workers];
  const sampler = setInterval(() => {
    for (const running of all) {
      const now = running.child.pid === undefined ? undefined : sample(running.child.pid);
      if (now) running.sampled = { cpuSec: now.cpuSec, peakRssMb: Math.max(running.sampled.peakRssMb, now.peakRssMb) };
    }
  }, 20);
  try {
    const exitedEarly = (r: Running) => r.exited.then((code) => Promise.reject(failure(r, `exited with ${code} before it was ready`)));
    await Promise.race([
      Promise.all(workers.map((r) => r.ready)),
      ...workers.map(exitedEarly),
      deadline(120_000, () => `workers not ready after 120 s: ${workers.map((r) => r.spec.role).join(', ')}`),
    ]);
    await options.beforeGo?.();
    const goAt = Date.now();
    for (const spec of specs) if (!('worker' in spec)) all.push(Object.assign(start(spec, undefined), { startedAt: goAt }));
    for (const running of workers) running.child.stdin!.write('go\n');
    const finish = async (running: Running): Promise<void> => {
      const code = await running.exited;
      running.endedAt = Date.now();
      if (code !== 0) throw failure(running, `exited with ${code}`);
    };
    await Promise.race([
      Promise.all(all.map(finish)),
      deadline(options.timeoutMs, () => `the path did not finish within ${options.timeoutMs / 1000} s`),
    ]);
    return Promise.all(
      all.map(async (running): Promise<ProcessOutcome> => {
        const result = await running.result;
        const pid = running.child.pid!;
        if ('worker' in running.spec) {
          if (!result) throw failure(running, 'printed no result');
          return { role: running.spec.role, pid, startedAt: result.startedAt, endedAt: result.endedAt, cpuSec: result.cpuSec, peakRssMb: result.peakRssMb, result };
        }
        return { role: running.spec.role, pid, startedAt: running.startedAt, endedAt: running.endedAt, ...running.sampled };
      }),
    );
  } finally {
    clearInterval(sampler);
    for (const running of all) if (running.child.exitCode === null && running.child.signalCode === null) running.child.kill('SIGKILL');
  }
}
