/**
 * `etl --schedule CRON`: the process stays up and runs a load at each time of the pattern
 * (croner, with `protect`: a load still running when the next time comes is not overlapped). Each
 * load goes over the lake and skips every file already loaded, so each new day is loaded once, at
 * the first scheduled time after its files appear; a file that changed is loaded again.
 */
import { Cron } from 'croner';

/** What the scheduler runs and tells. */
export interface ScheduleOptions {
  pattern: string;
  /** One load; its failure is told and the schedule goes on. */
  load: () => Promise<void>;
  /** Lines for the person watching (stderr). */
  say: (line: string) => void;
  /** Resolves when the process should stop (a signal). */
  stopped: Promise<unknown>;
  timezone?: string;
}

/** Runs loads at the pattern's times until `stopped` resolves, then waits for a running load to end. */
export async function runSchedule(options: ScheduleOptions): Promise<void> {
  let running: Promise<void> | undefined;
  const job = new Cron(options.pattern, { protect: true, ...(options.timezone ? { timezone: options.timezone } : {}) }, async () => {
    running = options.load().catch((error: unknown) => {
      options.say(`scheduled load failed: ${error instanceof Error ? error.message : String(error)}; trying again at the next scheduled time`);
    });
    await running;
    running = undefined;
    const next = job.nextRun();
    if (next) options.say(`next load at ${next.toISOString()}`);
  });
  const next = job.nextRun();
  options.say(`scheduled "${options.pattern}": next load at ${next ? next.toISOString() : 'never (the pattern has no future time)'}`);
  await options.stopped;
  job.stop();
  await running;
}
