/**
 * Runs a producer and two consumers as separate processes through a real broker into a real
 * PostgreSQL, injects faults at chosen moments, and checks that every record landed exactly once.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serviceUrls } from '@sluice/core';
import { randomName } from '@sluice/core/testkit';
import { createPgStore } from '@sluice/store-pg';
import { startPrivatePostgres, type PrivatePostgres } from '../support/private-postgres.js';
import { startWorker, stopWorker, waitFor, type Worker } from '../support/processes.js';
import { idChecksum, testRecordTable, writeTestRecords } from '../support/records.js';

/** What to run and which fault to inject. */
export interface CrashScenario {
  broker: 'redis' | 'kafka';
  rows: number;
  /** SIGKILL a consumer (and start a new one) when these fractions of the rows have landed. */
  killConsumerAt?: number[];
  /** Restart PostgreSQL (a private instance) when these fractions have landed. */
  restartPostgresAt?: number[];
  timeoutMs: number;
}

/** What the run ended with. */
export interface CrashOutcome {
  count: number;
  distinct: number;
  checksum: bigint;
  expectedChecksum: bigint;
  deadLetters: number;
  kills: number;
  restarts: number;
  /** Events of the consumers that ended gracefully. */
  summaries: Record<string, unknown>[];
  retryEvents: number;
  seconds: number;
}

const worker = fileURLToPath(new URL('./worker.ts', import.meta.url));

export async function runCrashScenario(scenario: CrashScenario): Promise<CrashOutcome> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-crash-'));
  const file = join(dir, 'records.ndjson');
  await writeTestRecords(file, scenario.rows);
  const privatePg: PrivatePostgres | undefined = scenario.restartPostgresAt?.length ? startPrivatePostgres(55_000 + Math.floor(Math.random() * 400)) : undefined;
  const pgUrl = privatePg?.url ?? serviceUrls.pg;
  const store = createPgStore({ connectionString: pgUrl, poolSize: 2 });
  const table = randomName('crash');
  const topic = randomName('crash');
  const group = randomName('g');
  const env = { SLUICE_PG_URL: pgUrl };
  await store.migrate([testRecordTable(table)]);

  const consumerArgs = (n: number) => ['consume', '--broker', scenario.broker, '--topic', topic, '--group', group, '--table', table, '--consumer', `c${n}`];
  let consumerCount = 0;
  const startConsumer = () => startWorker(`consumer-${++consumerCount}`, worker, consumerArgs(consumerCount), env);
  const consumers: Worker[] = [startConsumer(), startConsumer()];
  const producer = startWorker('producer', worker, ['produce', '--broker', scenario.broker, '--topic', topic, '--file', file], env);
  const started = Date.now();
  const faults = [
    ...(scenario.killConsumerAt ?? []).map((at) => ({ at, kind: 'kill' as const })),
    ...(scenario.restartPostgresAt ?? []).map((at) => ({ at, kind: 'restart' as const })),
  ].sort((a, b) => a.at - b.at);
  let kills = 0;
  let restarts = 0;
  let count = 0;
  const countRows = async () => {
    try {
      const [row] = await store.query<{ n: string }>(`SELECT count(*) AS n FROM "${table}"`);
      count = Number(row?.n ?? 0);
    } catch {
      // the server may be restarting; the next poll will see it
    }
    return count;
  };

  try {
    await waitFor(
      `${scenario.rows} rows in ${table}`,
      async () => {
        const landed = await countRows();
        while (faults.length > 0 && landed >= faults[0]!.at * scenario.rows) {
          const fault = faults.shift()!;
          if (fault.kind === 'kill') {
            const live = consumers.filter((c) => c.child.exitCode === null && c.child.signalCode === null);
            const victim = live[Math.floor(Math.random() * live.length)];
            if (victim) {
              victim.child.kill('SIGKILL');
              kills++;
              consumers.push(startConsumer());
            }
          } else {
            privatePg!.restart();
            restarts++;
          }
        }
        const producerFailed = producer.child.exitCode !== null && producer.child.exitCode !== 0;
        if (producerFailed) throw new Error(`producer exited with ${producer.child.exitCode}: ${producer.stderr.join('').slice(-2000)}`);
        const allDead = consumers.every((c) => c.child.exitCode !== null || c.child.signalCode !== null);
        if (allDead) throw new Error(`every consumer exited: ${consumers.map((c) => c.stderr.join('').slice(-1000)).join('\n')}`);
        return landed >= scenario.rows;
      },
      scenario.timeoutMs,
    );
    const producerExit = await producer.exited;
    if (producerExit.code !== 0) throw new Error(`producer exited with ${producerExit.code}: ${producer.stderr.join('').slice(-2000)}`);
    const seconds = (Date.now() - started) / 1000;
    const summaries: Record<string, unknown>[] = [];
    for (const consumer of consumers) {
      if (consumer.child.signalCode === 'SIGKILL') continue;
      const exit = await stopWorker(consumer);
      if (exit.code !== 0) throw new Error(`${consumer.name} exited with ${exit.code}: ${consumer.stderr.join('').slice(-2000)}`);
      const done = consumer.events.find((e) => e.type === 'done');
      if (done) summaries.push(done.summary as Record<string, unknown>);
    }
    const [stats] = await store.query<{ n: string; d: string; s: string }>(`SELECT count(*) AS n, count(DISTINCT id) AS d, coalesce(sum(id), 0)::text AS s FROM "${table}"`);
    const dead = await store.readDeadLetters(topic);
    const retryEvents = [...consumers, producer].flatMap((c) => c.events).filter((e) => e.type === 'retry').length;
    return {
      count: Number(stats!.n),
      distinct: Number(stats!.d),
      checksum: BigInt(stats!.s),
      expectedChecksum: idChecksum(scenario.rows),
      deadLetters: dead.length,
      kills,
      restarts,
      summaries,
      retryEvents,
      seconds,
    };
  } finally {
    await Promise.all([producer, ...consumers].map((w) => stopWorker(w, 'SIGKILL', 5000)));
    await store.query(`DROP TABLE IF EXISTS "${table}"`).catch(() => undefined);
    await store.close().catch(() => undefined);
    privatePg?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
