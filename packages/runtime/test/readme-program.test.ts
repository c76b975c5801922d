/**
 * The README's program, run as written: a CSV into PostgreSQL through Redis, adapters by URL only.
 * The README must hold the program file verbatim, so the two cannot drift apart.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { requireService, serviceUrls } from '@sluice/core/testkit';
import { openStore } from '../src/index.js';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));
const up = (await requireService('Redis', serviceUrls.redis)) && (await requireService('PostgreSQL', serviceUrls.pg));

/** Removes what the program leaves: its table, its stream and the dead-letter stream. */
async function cleanUp(): Promise<void> {
  const store = await openStore(serviceUrls.pg);
  await store.query('DROP TABLE IF EXISTS cities').finally(() => store.close());
  const { createClient } = await import('redis');
  const client = createClient({ url: serviceUrls.redis });
  await client.connect();
  await client.del(['sluice:cities', 'sluice:cities.dead-letters']);
  await client.quit();
}

describe.skipIf(!up)('the README program', () => {
  const dir = mkdtemp(join(tmpdir(), 'sluice-readme-'));
  afterAll(async () => {
    await rm(await dir, { recursive: true, force: true });
    await cleanUp();
  });

  it('is in the README verbatim', async () => {
    const program = await readFile(here('../examples/csv-to-postgres.ts'), 'utf8');
    const readme = await readFile(here('../README.md'), 'utf8');
    expect(readme).toContain(`\`\`\`ts\n${program}\`\`\``);
    expect(program.trim().split('\n').length).toBeLessThanOrEqual(15);
  });

  it('reads a CSV into PostgreSQL through Redis, a bad row to the dead letters', async () => {
    await cleanUp();
    const csv = join(await dir, 'cities.csv');
    await writeFile(csv, 'id,name,population\n1,Hamburg,1900000\n2,Prague,1300000\n3,Turin,not-a-number\n2,Prague,1357000\n');
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--conditions=source', here('../examples/csv-to-postgres.ts'), csv], {
      cwd: here('..'),
      env: { ...process.env, SLUICE_BROKER: serviceUrls.redis, SLUICE_STORE: serviceUrls.pg },
      timeout: 60_000,
    });
    expect(stdout).toMatch(/persisted: 3/);
    expect(stdout).toMatch(/rejected: 1/);
    const store = await openStore(serviceUrls.pg);
    try {
      expect(await store.query('SELECT id, name, population FROM cities ORDER BY id')).toEqual([
        { id: '1', name: 'Hamburg', population: 1900000 },
        { id: '2', name: 'Prague', population: 1357000 },
      ]);
    } finally {
      await store.close();
    }
  });
});
