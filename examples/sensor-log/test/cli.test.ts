/**
 * The command line end to end: gen is deterministic, load reports with --json and says when there
 * is nothing new, and a load SIGKILLed mid-run leaves only whole files, finished by the next run.
 */
import { spawn } from 'node:child_process';
import { mkdir, readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Store } from '@sluice/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generate } from '../src/generate.js';
import { loadFolder } from '../src/load.js';
import { assertIntegrity, CLI, generateFiles, lastJson, pgTarget, ROOT, runCli, scalar, sqliteTarget, tempDir, type TestTarget } from './support.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => ({ dir, cleanup } = await tempDir()));
afterAll(() => cleanup());

describe('sensor-log gen', () => {
  it('writes one file per minute, the same bytes for the same seed whatever the range', async () => {
    const a = join(dir, 'a');
    const b = join(dir, 'b');
    const first = await runCli(['gen', '--out', a, '--from', '2023-01-01T00:00', '--to', '2023-01-01T00:04']);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('5 files (9,570 rows)');
    expect(await readdir(a)).toEqual([0, 1, 2, 3, 4].map((m) => `2023-01-01 00:0${m}:00.parquet`));
    // The same minute from another range is the same file; another seed gives another file.
    await generate({ out: b, from: Date.UTC(2023, 0, 1, 0, 3), to: Date.UTC(2023, 0, 1, 0, 5), format: 'parquet', seed: 1 });
    expect(await readFile(join(b, '2023-01-01 00:03:00.parquet'))).toEqual(await readFile(join(a, '2023-01-01 00:03:00.parquet')));
    const other = join(dir, 'c');
    await generate({ out: other, from: Date.UTC(2023, 0, 1), to: Date.UTC(2023, 0, 1), format: 'parquet', seed: 2 });
    expect(await readFile(join(other, '2023-01-01 00:00:00.parquet'))).not.toEqual(await readFile(join(a, '2023-01-01 00:00:00.parquet')));
  }, 60_000);
});

const targets: [string, () => Promise<TestTarget | undefined>][] = [
  ['SQLite', async () => sqliteTarget(dir)],
  ['PostgreSQL', () => pgTarget()],
];

for (const [label, makeTarget] of targets) {
  describe(`sensor-log load into ${label}`, () => {
    let target: TestTarget | undefined;
    let data: string;
    beforeAll(async () => {
      target = await makeTarget();
      data = join(dir, `crash-${label}`);
      if (target) {
        await mkdir(data);
        await generateFiles(data, 40);
      }
    });
    afterAll(() => target?.cleanup());

    it('killed mid-run leaves whole files only; the next run loads the rest, and the one after says nothing is new', async (ctx) => {
      if (!target) return ctx.skip();
      const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=source', CLI, 'load', data, '--store', target.url], { cwd: ROOT, stdio: 'ignore' });
      const watcher: Store = target.open();
      try {
        // Kill it once a few files have committed: it is then most likely inside a file.
        for (;;) {
          await new Promise((resolve) => setTimeout(resolve, 30));
          const done = await scalar(watcher, `SELECT COUNT(*) FROM sluice_checkpoints WHERE stream LIKE 'sensor-log:%'`).catch(() => 0);
          if (done >= 3) break;
          if (child.exitCode !== null) throw new Error('the load ended before it could be killed');
        }
        child.kill('SIGKILL');
        await new Promise((resolve) => child.on('exit', resolve));
        const loaded = await assertIntegrity(watcher);
        expect(loaded % 1914).toBe(0);
        expect(loaded).toBeLessThan(40 * 1914);

        const second = await runCli(['load', data, '--store', target.url, '--json']);
        expect(second.code).toBe(0);
        expect(lastJson(second.stdout)).toEqual({ files: 40 - loaded / 1914, rows: 40 * 1914 - loaded, skipped: loaded / 1914, rejected: 0 });
        expect(await assertIntegrity(watcher)).toBe(40 * 1914);

        if (label === 'SQLite') {
          const third = await runCli(['load', data, '--store', target.url]);
          expect(third.code).toBe(0);
          expect(third.stdout).toContain('nothing new to load: 40 files already loaded and unchanged');
        } else {
          expect(await loadFolder({ store: watcher, dir: data })).toEqual({ files: 0, rows: 0, skipped: 40, rejected: 0, quarantined: 0 });
        }
        expect(await scalar(watcher, 'SELECT COUNT(*) FROM datalog')).toBe(40 * 1914);
      } finally {
        if (child.exitCode === null) child.kill('SIGKILL');
        await watcher.close();
      }
    }, 90_000);
  });
}
