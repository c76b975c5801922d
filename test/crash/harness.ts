/**
 * Runs a producer and two consumers as separate processes through a real broker into a real
 * PostgreSQL, injects faults at chosen moments, and checks that every record landed exactly once.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomName } from '@sluice/core/testkit';
import { createPgStore } from '@sluice/store-pg';
import { deleteTopics } from '../support/broker-cleanup.js';
import { startWorker, stopWorker, waitFor, type Worker } from '../support/processes.js';
import { idChecksum, testRecordTable, writeTestRecords } from '../support/records.js';
import { startFaultRig, type FaultKind, type FaultPlan, type InjectedFault, type Outage } from './faults.js';

/** What to run and which faults to inject. */
export interface CrashScenario extends FaultPlan {
  rows: number;
  timeoutMs: number;
  /**
   * The first consumer SIGKILLs itself when it is about to ack its n-th delivery, that is after the
   * store committed it and before the broker heard of it; a replacement starts (a `kill-consumer` fault).
   */
  killBeforeAckOf?: number;
}

/** One worker process of a run, with everything it printed. */
export interface WorkerRecord {
  name: string;
  role: 'producer' | 'consumer';
  /** Whether the harness SIGKILLed it (then it printed no summary). */
  killed: boolean;
  /** Its status events and `delivery` lines, each with `type` and `at`. */
  events: Record<string, unknown>[];
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
  /** Summaries (`done` events) of the consumers that ended gracefully. */
  summaries: Record<string, unknown>[];
  retryEvents: number;
  seconds: number;
  /** Every fault injected, consumer kills included, in order. */
  faults: InjectedFault[];
  workers: WorkerRecord[];
}

const worker = fileURLToPath(new URL('./worker.ts', import.meta.url));
/** How long the consumers may persist nothing once the producer has finished before the run counts as stalled. */
const STALL_MS = 30_000;
const isRunning = (w: Worker) => w.child.exitCode === null && w.child.signalCode === null;

/** The running total of the last `persisted` event a worker printed (0 if none). */
function persistedBy(w: Worker): number {
  for (let i = w.events.length - 1; i >= 0; i--) {
    const event = w.events[i]!;
    if (event.type === 'persisted') return Number(event.total);
  }
  return 0;
}

/** Why a worker ended badly: how it exited and the start of its stderr, where the error's message is. */
function exitError(w: Worker): Error {
  return new Error(`${w.name} exited with ${w.child.exitCode ?? w.child.signalCode}: ${w.stderr.join('').slice(0, 3000)}`);
}

/**
 * Writes `scenario.rows` records to a file, starts two consumers and a producer, injects the
 * planned faults as the rows land, waits until PostgreSQL holds them all, stops the consumers
 * gracefully, and reports what the table and the processes ended with.
 */
export async function runCrashScenario(scenario: CrashScenario): Promise<CrashOutcome> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-crash-'));
  const file = join(dir, 'records.ndjson');
  await writeTestRecords(file, scenario.rows);
  const rig = await startFaultRig(scenario);
  const store = createPgStore({ connectionString: rig.pgUrl, poolSize: 2 });
  const table = randomName('crash');
  const topic = randomName('crash');
  const group = randomName('g');
  const killed = new Set<Worker>();
  const faults: InjectedFault[] = [];
  let consumers: Worker[] = [];
  let producer: Worker | undefined;

  try {
    await store.migrate([testRecordTable(table)]);
    const consumerArgs = (n: number) => [
      'consume', '--broker', scenario.broker, '--topic', topic, '--group', group, '--table', table, '--consumer', `c${n}`,
      ...(n === 1 && scenario.killBeforeAckOf ? ['--kill-before-ack', String(scenario.killBeforeAckOf)] : []),
    ];
    let started = 0;
    const startConsumer = () => {
      const n = ++started;
      return startWorker(`consumer-${n}`, worker, consumerArgs(n), rig.env);
    };
    consumers = [startConsumer(), startConsumer()];
    // The group goes with the producer too: on RabbitMQ it declares the group's queue before publishing.
    producer = startWorker('producer', worker, ['produce', '--broker', scenario.broker, '--topic', topic, '--group', group, '--file', file], rig.env);
    const runStartedAt = Date.now();
    const pending = [
      ...(scenario.killConsumerAt ?? []).map((fraction) => ({ kind: 'kill-consumer' as FaultKind, fraction })),
      ...rig.schedule,
    ].sort((a, b) => a.fraction - b.fraction);

    const inject = async (kind: FaultKind, fraction: number) => {
      const startedAt = Date.now();
      let outage: Outage;
      if (kind === 'kill-consumer') {
        // A consumer at work (it has taken a delivery), so that something of it must be redelivered.
        const live = consumers.filter(isRunning);
        const working = live.filter((c) => c.events.some((e) => e.type === 'delivery'));
        const candidates = working.length > 0 ? working : live;
        const victim = candidates[Math.floor(Math.random() * candidates.length)];
        if (!victim) return;
        killed.add(victim);
        victim.child.kill('SIGKILL');
        await victim.exited;
        const killedAt = Date.now();
        const replacement = startConsumer();
        consumers.push(replacement);
        outage = { detail: `SIGKILL ${victim.name} (pid ${victim.child.pid}), started ${replacement.name}`, downAt: killedAt, upAt: killedAt };
      } else {
        outage = await rig.inject(kind);
      }
      faults.push({ kind, fraction, startedAt, endedAt: Date.now(), ...outage });
    };

    // Progress comes from the consumers' own `persisted` events (cheap); PostgreSQL is counted
    // only once those say everything landed, or every few seconds in case they over-count.
    let count = 0;
    let countedAt = 0;
    const countRows = async () => {
      try {
        const [row] = await store.query<{ n: string }>(`SELECT count(*) AS n FROM "${table}"`);
        count = Number(row?.n ?? 0);
        countedAt = Date.now();
      } catch {
        // the server may be restarting; the next poll will see it
      }
      return count;
    };
    let progress = { reported: -1, at: Date.now() };
    await waitFor(
      `${scenario.rows} rows in ${table}`,
      async () => {
        const reported = consumers.reduce((sum, c) => sum + persistedBy(c), 0);
        if (reported !== progress.reported) progress = { reported, at: Date.now() };
        // Everything published and nothing persisted for long (well past Kafka's session timeout and
        // Redis's visibility timeout): rows were lost, waiting longer will not bring them.
        if (producer!.child.exitCode === 0 && Date.now() - progress.at > STALL_MS) {
          throw new Error(`stalled: ${await countRows()} of ${scenario.rows} rows in ${table}, nothing persisted for ${STALL_MS} ms after the producer finished`);
        }
        while (pending.length > 0 && reported >= pending[0]!.fraction * scenario.rows) {
          const next = pending.shift()!;
          await inject(next.kind, next.fraction);
        }
        if (producer!.child.exitCode !== null && producer!.child.exitCode !== 0) throw exitError(producer!);
        for (const suicide of consumers.filter((c) => c.child.signalCode === 'SIGKILL' && !killed.has(c))) {
          // It killed itself between the store commit and the ack (`killBeforeAckOf`).
          killed.add(suicide);
          const at = Date.now();
          const replacement = startConsumer();
          consumers.push(replacement);
          const detail = `${suicide.name} (pid ${suicide.child.pid}) SIGKILLed itself between commit and ack, started ${replacement.name}`;
          faults.push({ kind: 'kill-consumer', fraction: reported / scenario.rows, startedAt: at, endedAt: at, detail, downAt: at, upAt: at });
        }
        const failed = consumers.find((c) => !killed.has(c) && !isRunning(c));
        if (failed) throw exitError(failed);
        if (pending.length > 0 || (reported < scenario.rows && Date.now() - countedAt < 5000)) return false;
        return (await countRows()) >= scenario.rows;
      },
      scenario.timeoutMs,
    );
    if ((await producer.exited).code !== 0) throw exitError(producer);
    const seconds = (Date.now() - runStartedAt) / 1000;
    const summaries: Record<string, unknown>[] = [];
    for (const consumer of consumers) {
      if (killed.has(consumer)) continue;
      // A replacement may still be starting: before its pipeline runs, SIGTERM would simply kill it.
      await waitFor(`${consumer.name} to start`, () => consumer.events.some((e) => e.type === 'started') || !isRunning(consumer), 60_000);
      if ((await stopWorker(consumer)).code !== 0) throw exitError(consumer);
      const done = consumer.events.find((e) => e.type === 'done');
      if (done) summaries.push(done.summary as Record<string, unknown>);
    }
    const [stats] = await store.query<{ n: string; d: string; s: string }>(`SELECT count(*) AS n, count(DISTINCT id) AS d, coalesce(sum(id), 0)::text AS s FROM "${table}"`);
    const dead = await store.readDeadLetters(topic);
    const all = [producer, ...consumers];
    return {
      count: Number(stats!.n),
      distinct: Number(stats!.d),
      checksum: BigInt(stats!.s),
      expectedChecksum: idChecksum(scenario.rows),
      deadLetters: dead.length,
      kills: faults.filter((f) => f.kind === 'kill-consumer').length,
      restarts: faults.filter((f) => f.kind === 'restart-postgres').length,
      summaries,
      retryEvents: all.flatMap((w) => w.events).filter((e) => e.type === 'retry').length,
      seconds,
      faults,
      workers: all.map((w) => ({ name: w.name, role: w === producer ? 'producer' : 'consumer', killed: killed.has(w), events: w.events })),
    };
  } finally {
    await Promise.all([...(producer ? [producer] : []), ...consumers].map((w) => stopWorker(w, 'SIGKILL', 5000)));
    await store.query(`DROP TABLE IF EXISTS "${table}"`).catch(() => undefined);
    await store.close().catch(() => undefined);
    await deleteTopics(scenario.broker, rig.brokerUrl, [topic], [group]);
    await rig.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
