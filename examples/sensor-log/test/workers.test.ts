/**
 * Scale-out through Redis: two worker processes share the file names through a consumer group;
 * one is SIGKILLed while it loads, its file goes to the other after the visibility timeout, and
 * the counts are exact (PostgreSQL store; both services required under CI=true).
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { serviceUrls, type Store } from '@sluice/core';
import { randomName, requireService } from '@sluice/core/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteTopics } from '../../../test/support/broker-cleanup.js';
import { groupOf } from '../src/workers.js';
import { assertIntegrity, generateFiles, lastJson, pgTarget, runCli, scalar, tempDir, type TestTarget } from './support.js';

const FILES = 16;

describe('load --broker --workers 2', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let target: TestTarget | undefined;
  const topic = randomName('sensorlog_files');

  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir());
    if (!(await requireService('Redis', serviceUrls.redis))) return;
    target = await pgTarget();
    await mkdir(join(dir, 'data'));
    await generateFiles(join(dir, 'data'), FILES);
  });
  afterAll(async () => {
    await deleteTopics('redis', serviceUrls.redis, [topic], [groupOf(topic)]);
    await target?.cleanup();
    await cleanup();
  });

  it('loses and duplicates nothing when a worker is SIGKILLed mid-file', async (ctx) => {
    if (!target) return ctx.skip();
    const data = join(dir, 'data');
    const watcher: Store = target.open();
    let victim: number | undefined;
    let killed: Promise<void> | undefined;
    const args = ['load', data, '--store', target.url, '--broker', serviceUrls.redis, '--workers', '2', '--topic', topic, '--visibility-ms', '1500', '--json'];
    try {
      const run = await runCli(args, {
        onStderr: (text, kill) => {
          const match = /worker 1 of 2: pid (\d+)/.exec(text);
          if (!match || victim !== undefined) return;
          victim = Number(match[1]);
          killed = (async () => {
            // Once files are committing, the workers spend most of their time inside a file: kill one there.
            for (let i = 0; i < 600; i++) {
              await new Promise((resolve) => setTimeout(resolve, 25));
              const done = await scalar(watcher, `SELECT COUNT(*) FROM sluice_checkpoints WHERE stream LIKE 'sensor-log:%'`).catch(() => 0);
              if (done >= 3) break;
            }
            kill(victim!);
          })();
        },
      });
      await killed;
      expect(run.stderr).toContain('1 worker(s) ended abnormally (SIGKILL)');
      expect(run.code).toBe(0);
      expect(lastJson(run.stdout)).toEqual({ files: FILES, rows: FILES * 1914, skipped: 0, rejected: 0 });
      expect(await assertIntegrity(watcher)).toBe(FILES * 1914);

      // Restarted: nothing new, nothing duplicated.
      const again = await runCli(args);
      expect(again.code).toBe(0);
      expect(lastJson(again.stdout)).toEqual({ files: 0, rows: 0, skipped: FILES, rejected: 0 });
      expect(await scalar(watcher, 'SELECT COUNT(*) FROM datalog')).toBe(FILES * 1914);
    } finally {
      await watcher.close();
    }
  }, 120_000);
});
