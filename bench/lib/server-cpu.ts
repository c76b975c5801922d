/**
 * CPU of the PostgreSQL backends serving the benchmark's store, for a server on this machine: their
 * pids from `pg_stat_activity` (by application name), their ticks from `/proc/PID/stat`, sampled
 * every 250 ms while a step runs. A backend is counted at its last sample (one that exits between
 * two samples loses at most 250 ms). On another machine `/proc` has no such pids: the figure is
 * then absent, not zero.
 */
import { readFile } from 'node:fs/promises';
import { createPgStore } from '@sluice/store-pg';

/** The application name of the measured store's PostgreSQL connections. */
export const BENCH_APPLICATION = 'vehicle-events-bench';

/** Clock ticks per second of /proc/PID/stat (USER_HZ, 100 on Linux). */
const TICKS = 100;

/** Starts sampling; `stop` resolves with the backends' CPU seconds, or undefined when none could be read. */
export function serverCpu(connectionString: string): { stop: () => Promise<number | undefined> } {
  const monitor = createPgStore({ connectionString, poolSize: 1, applicationName: `${BENCH_APPLICATION}-monitor` });
  const ticks = new Map<number, number>();
  const sample = async (): Promise<void> => {
    const rows = await monitor.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE application_name = $1', [BENCH_APPLICATION]).catch(() => []);
    await Promise.all(
      rows.map(async ({ pid }) => {
        const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
        if (stat === undefined) return;
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        ticks.set(pid, Number(fields[11]) + Number(fields[12])); // utime, stime
      }),
    );
  };
  let running = sample();
  const timer = setInterval(() => void (running = running.then(sample)), 250);
  return {
    stop: async () => {
      clearInterval(timer);
      await running;
      await monitor.close();
      if (ticks.size === 0) return undefined;
      let total = 0;
      for (const value of ticks.values()) total += value;
      return total / TICKS;
    },
  };
}
