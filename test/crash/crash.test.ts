/**
 * Crash tests across processes: a producer and two consumers move records from a file through
 * Redis or Kafka into PostgreSQL while a consumer is SIGKILLed or PostgreSQL restarts.
 * `SLUICE_CRASH_ROWS` sets the size (default 200,000).
 */
import { describe, expect, it } from 'vitest';
import { requireService, serviceUrls } from '@sluice/core/testkit';
import { canRunPrivatePostgres } from '../support/private-postgres.js';
import { runCrashScenario, type CrashOutcome, type CrashScenario } from './harness.js';

const rows = Number(process.env.SLUICE_CRASH_ROWS ?? 200_000);
const pg = await requireService('PostgreSQL', serviceUrls.pg);
const redis = await requireService('Redis', serviceUrls.redis);
const kafka = await requireService('Kafka', serviceUrls.kafka);

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

for (const broker of ['redis', 'kafka'] as const) {
  const up = pg && (broker === 'redis' ? redis : kafka);
  describe.skipIf(!up)(`crash: file → ${broker} → PostgreSQL, ${rows} rows`, () => {
    const base: CrashScenario = { broker, rows, timeoutMs: 240_000 };

    it('a consumer SIGKILLed mid-run loses and duplicates nothing', async () => {
      const outcome = await runCrashScenario({ ...base, killConsumerAt: [0.3] });
      expect(outcome.kills).toBe(1);
      expectExactlyOnce(outcome);
    }, 300_000);

    it.skipIf(!canRunPrivatePostgres())('PostgreSQL restarted mid-run: the consumers retry and recover', async () => {
      const outcome = await runCrashScenario({ ...base, restartPostgresAt: [0.3] });
      expect(outcome.restarts).toBe(1);
      expect(outcome.retryEvents).toBeGreaterThan(0);
      expectExactlyOnce(outcome);
    }, 300_000);
  });
}
