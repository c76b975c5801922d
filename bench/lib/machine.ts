/** A one-line description of the machine and the servers a run measured on. */
import { readFile } from 'node:fs/promises';
import { cpus, release, totalmem } from 'node:os';
import type { Targets } from './targets.js';

/** e.g. `2 × AMD EPYC, 23.5 GiB, Linux 6.1, Node v20.20.2, PostgreSQL 15.20, Redis 7.0.15, Kafka 3.9.2`. */
export async function describeMachine(targets: Targets): Promise<string> {
  const cores = cpus();
  const kafkaScript = await readFile(new URL('../../scripts/kafka.sh', import.meta.url), 'utf8').catch(() => '');
  const kafka = process.env.SLUICE_KAFKA_VERSION ?? /SLUICE_KAFKA_VERSION:-([\d.]+)/.exec(kafkaScript)?.[1] ?? 'unknown';
  const { pg, redis } = await targets.serverVersions();
  return [
    `${cores.length} × ${cores[0]?.model.trim() ?? 'unknown CPU'}`,
    `${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
    `Linux ${release()}`,
    `Node ${process.version}`,
    `PostgreSQL ${pg}`,
    `Redis ${redis}`,
    `Kafka ${kafka} (KRaft, 1 node)`,
  ].join(', ');
}
