/**
 * CPU of the PostgreSQL backends serving a benchmark step, for a server on this machine: their pids
 * from `pg_stat_activity` (those of a database, or those whose connections carry an application
 * name), their CPU from `/proc`, sampled every 250 ms while the step runs. A backend is counted at
 * its last sample (one that exits between two samples loses at most 250 ms). On another machine
 * `/proc` has no such pids: the figure is then absent, not zero.
 */
import { createPgStore } from '@sluice/store-pg';
import { cpuSecondsOf } from './proc.js';

/** Which backends to count. */
export type Backends = { database: string } | { applicationName: string };

/**
 * Starts sampling through a connection to `connectionString` (any database of the server; its own
 * backend is not counted); `stop` resolves with the backends' CPU seconds, or undefined when none
 * could be read.
 */
export function serverCpu(connectionString: string, backends: Backends): { stop: () => Promise<number | undefined> } {
  const monitor = createPgStore({ connectionString, poolSize: 1, applicationName: 'sluice-bench-monitor' });
  const [column, value] = 'database' in backends ? ['datname', backends.database] : ['application_name', backends.applicationName];
  const seconds = new Map<number, number>();
  const sample = async (): Promise<void> => {
    const rows = await monitor.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE ${column} = $1 AND pid <> pg_backend_pid()`, [value]).catch(() => []);
    for (const { pid } of rows) {
      const cpu = cpuSecondsOf(pid);
      if (cpu !== undefined) seconds.set(pid, cpu);
    }
  };
  let running = sample();
  const timer = setInterval(() => void (running = running.then(sample)), 250);
  return {
    stop: async () => {
      clearInterval(timer);
      await running;
      await sample();
      await monitor.close();
      if (seconds.size === 0) return undefined;
      let total = 0;
      for (const value of seconds.values()) total += value;
      return total;
    },
  };
}
