/**
 * Crash tests across processes: a producer and two consumers move records from a file through
 * Redis, Kafka or RabbitMQ into PostgreSQL while a consumer is SIGKILLed (at a random moment, or
 * between the store commit and the ack) or PostgreSQL restarts.
 * `SLUICE_CRASH_ROWS` sets the size (default 200,000).
 */
import { describe, expect, it } from 'vitest';
import { rabbitmqUrl, requireService, serviceUrls } from '@sluice/core/testkit';
import { canRunPrivatePostgres } from '../support/private-postgres.js';
import { runCrashScenario, type CrashOutcome, type CrashScenario } from './harness.js';

const rows = Number(process.env.SLUICE_CRASH_ROWS ?? 200_000);
const pg = await requireService('PostgreSQL', serviceUrls.pg);
const redis = await requireService('Redis', serviceUrls.redis);
const kafka = await requireService('Kafka', serviceUrls.kafka);
const rabbitmq = await requireService('RabbitMQ', rabbitmqUrl, 'bash scripts/rabbitmq.sh start');
const brokerUp = { redis, kafka, rabbitmq };

function expectExactlyOnce(outcome: CrashOutcome) {
  expect(outcome.count).toBe(rows);
  expect(outcome.distinct).toBe(rows);
  expect(outcome.checksum).toBe(outcome.expectedChecksum);
  expect(outcome.deadLetters).toBe(0);
  for (const summary of outcome.summaries) {
    expect(summary.read).toBe(Number(summary.persisted) + Number(summary.rejected));
  }
  console.log(`crash run: ${rows} rows in ${outcome.seconds.toFixed(1)} s (${Math.round(rows / outcome.seconds)} rows/s), kills ${outcome.kills}, restarts ${outcome.restarts}, retry events ${outcome.retryEvents}`);
}

for (const broker of ['redis', 'kafka', 'rabbitmq'] as const) {
  const up = pg && brokerUp[broker];
  describe.skipIf(!up)(`crash: file → ${broker} → PostgreSQL, ${rows} rows`, () => {
    // RabbitMQ confirms each publish once its quorum queue has fsynced it; runs of about 1,000 rows/s
    // were seen on a loaded machine, so it gets time in proportion to the rows.
    const timeoutMs = broker === 'rabbitmq' ? Math.max(240_000, rows * 2 + 60_000) : 240_000;
    const testTimeout = timeoutMs + 60_000;
    const base: CrashScenario = { broker, rows, timeoutMs };

    it('a consumer SIGKILLed mid-run loses and duplicates nothing', async () => {
      const outcome = await runCrashScenario({ ...base, killConsumerAt: [0.3] });
      expect(outcome.kills).toBe(1);
      expectExactlyOnce(outcome);
    }, testTimeout);

    it.skipIf(broker !== 'rabbitmq')('a consumer SIGKILLed between the store commit and the ack: the batch comes again, once in the table', async () => {
      const outcome = await runCrashScenario({ ...base, killBeforeAckOf: 5 });
      expect(outcome.kills).toBe(1);
      expect(outcome.faults[0]!.detail).toMatch(/between commit and ack/);
      expectExactlyOnce(outcome);
      // What it had committed but not acked was handed out again, to the survivor or the replacement.
      const retried = outcome.workers.flatMap((w) => w.events).filter((e) => e.type === 'delivery' && Number(e.attempt) > 1);
      expect(retried.length).toBeGreaterThan(0);
    }, testTimeout);

    it.skipIf(!canRunPrivatePostgres())('PostgreSQL restarted mid-run: the consumers retry and recover', async () => {
      const outcome = await runCrashScenario({ ...base, restartPostgresAt: [0.3] });
      expect(outcome.restarts).toBe(1);
      expect(outcome.retryEvents).toBeGreaterThan(0);
      expectExactlyOnce(outcome);
    }, testTimeout);
  });
}
