/**
 * The child side of a benchmark process. A worker sets up (connects, migrates), prints
 * `{"type":"ready"}`, waits for `go` on stdin, does its work, and prints one
 * `{"type":"result",…}` line with its clock, CPU and peak RSS. Everything else goes to stderr.
 *
 * CPU is counted from `go` to the end of the work (startup and TypeScript loading excluded);
 * the peak RSS is the whole process's (`process.resourceUsage().maxRSS`).
 */
import { createInterface } from 'node:readline';
import type { WorkerConfig } from './config.js';

/** What a worker's work reports. */
export interface WorkDone {
  /** Rows this process handled (published, written or persisted). */
  rows: number;
  /** Free-form details for the results file. */
  detail?: Record<string, unknown>;
}

/** Given to the work: `end()` stops the clock and the CPU count early (before cleanup). */
export interface WorkClock {
  end(): void;
}

/** The result line a worker prints. */
export interface WorkerResult {
  type: 'result';
  role: string;
  pid: number;
  /** Epoch ms at `go`. */
  startedAt: number;
  /** Epoch ms when the work ended (or `end()` was called). */
  endedAt: number;
  rows: number;
  /** User + system CPU seconds from `go` to the end. */
  cpuSec: number;
  /** User + system CPU seconds of the whole process, startup included. */
  cpuTotalSec: number;
  /** Peak resident set size of the process, in MiB. */
  peakRssMb: number;
  detail?: Record<string, unknown>;
}

/** A worker: `setup` runs before `ready` and returns the work, which runs after `go`. */
export type WorkerSetup = (config: WorkerConfig) => Promise<{ work: (clock: WorkClock) => Promise<WorkDone>; close?: () => Promise<void> }>;

const cpuSeconds = (usage: NodeJS.CpuUsage) => (usage.user + usage.system) / 1e6;

function emit(line: object): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

function waitForGo(): Promise<void> {
  return new Promise((resolve, reject) => {
    const input = createInterface({ input: process.stdin });
    input.on('line', (line) => {
      if (line.trim() !== 'go') return;
      resolve();
      input.close();
    });
    input.on('close', () => reject(new Error('stdin closed before "go": the parent went away')));
  });
}

/** Runs the worker `role`: setup, ready, go, work, result, close, exit. Any failure exits with 1. */
export async function runWorker(role: string, setup: WorkerSetup): Promise<never> {
  try {
    const raw = process.argv[2];
    if (raw === undefined) throw new Error(`bench worker ${role}: pass the config JSON as the only argument.`);
    const config = JSON.parse(raw) as WorkerConfig;
    const { work, close } = await setup(config);
    emit({ type: 'ready', role });
    await waitForGo();
    const startedAt = Date.now();
    const cpuAtGo = process.cpuUsage();
    let ended: { at: number; cpu: NodeJS.CpuUsage } | undefined;
    const clock: WorkClock = {
      end: () => void (ended ??= { at: Date.now(), cpu: process.cpuUsage(cpuAtGo) }),
    };
    const done = await work(clock);
    clock.end();
    await close?.();
    const result: WorkerResult = {
      type: 'result',
      role,
      pid: process.pid,
      startedAt,
      endedAt: ended!.at,
      rows: done.rows,
      cpuSec: cpuSeconds(ended!.cpu),
      cpuTotalSec: cpuSeconds(process.cpuUsage()),
      peakRssMb: process.resourceUsage().maxRSS / 1024,
      ...(done.detail ? { detail: done.detail } : {}),
    };
    emit(result);
    process.exit(0);
  } catch (error) {
    console.error(`bench worker ${role} failed:`, error);
    process.exit(1);
  }
}
