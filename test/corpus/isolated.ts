/**
 * Loads in a child process that is killed when it overruns its bound. A parser that loops without
 * yielding (a regular expression backtracking over a 20 MB cell, say) blocks the event loop, and
 * then no timer in the test's own process can fire: only a separate process can be bounded.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { LoadJob, LoadReport } from './isolated-load.js';
import type { Landing } from './landing.js';

const script = fileURLToPath(new URL('./isolated-load.ts', import.meta.url));
const testRoot = fileURLToPath(new URL('..', import.meta.url));

/** A landing reported by a child, with its row totals and peak memory. */
export type IsolatedLanding = Landing & Pick<LoadReport, 'rowCount' | 'timeSum' | 'maxRssMb'>;

/**
 * Runs `job` in a child; resolves with its report, or with an error naming the hang when the child
 * does not answer within `job.timeoutMs` plus start-up time (it is then killed).
 */
export function landIsolated(job: LoadJob): Promise<IsolatedLanding> {
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', script, JSON.stringify(job)], {
    cwd: testRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
  child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr = (stderr + text).slice(-4000)));
  const boundMs = job.timeoutMs + 10_000;
  return new Promise((resolve) => {
    let killed = false;
    const timer = setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, boundMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      const failed = (message: string): IsolatedLanding => ({ error: new Error(message), rows: [], letters: [], rowCount: 0, timeSum: '0', maxRssMb: 0 });
      if (killed) return resolve(failed(`the load did not finish within ${boundMs} ms and was killed: it hangs (it blocked its event loop if its own bound did not fire)`));
      try {
        const report = JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as LoadReport;
        const error = report.error ? Object.assign(new Error(report.error.message), report.error) : undefined;
        resolve({ ...report, ...(error ? { error } : {}) });
      } catch {
        resolve(failed(`the load process ended (code ${code}, signal ${signal}) without a report; it crashed: ${stderr}`));
      }
    });
  });
}
