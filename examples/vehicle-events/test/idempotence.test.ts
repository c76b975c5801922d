/**
 * Exactly once, whatever happens: every table and view has the same checksums after a load of the
 * lake forward, a second run, a load day by day in reverse order with each day loaded twice (its
 * checkpoints forgotten in between, so the rows really are merged again), a lake whose events are
 * all delivered twice more, and a run stopped in the middle and resumed. A changed file is loaded
 * again.
 */
import { appendFile, cp, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runEtl, type EtlRun } from '../src/etl.js';
import { listDays } from '../src/lake.js';
import { MIGRATIONS, migrateWarehouse } from '../src/migrations/index.js';
import { writeSmallLake } from './support/lake.js';
import { checksumOf, checksums, load, openWarehouse, pgReachable, tempDir, type Engine, type TestWarehouse } from './support/warehouse.js';

const pg = await pgReachable();

/** Stops `run` once it has read up to `line` of a file, and waits for it to end. */
function stoppedAtLine(run: EtlRun, line: number) {
  let asked = false;
  run.status$.subscribe((event) => {
    if (event.type === 'read' && (event.position?.line ?? 0) >= line && !asked) {
      asked = true;
      void run.stop();
    }
  });
  return run.done;
}

describe.each<Engine>(['sqlite', 'pg'])('idempotence on %s', (engine) => {
  describe.skipIf(engine === 'pg' && !pg)('checksums of all tables and views', () => {
    let lake: { dir: string; remove: () => Promise<void> };
    let days: string[];
    let reference: Record<string, string>;
    let lines: number;
    const opened: TestWarehouse[] = [];
    const fresh = async (label: string) => {
      const w = await openWarehouse(engine, label);
      opened.push(w);
      return w;
    };

    beforeAll(async () => {
      lake = await tempDir('idem');
      await writeSmallLake(lake.dir, { vehicles: 4, fixSeconds: [45, 120] });
      days = await listDays(lake.dir);
      const first = await fresh('ref');
      lines = (await load(first.store, lake.dir)).summary.read;
      reference = await checksums(first.store);
    });
    afterAll(async () => {
      for (const w of opened) await w.drop();
      await lake?.remove();
    });

    it('holds rows in every table and view', () => {
      for (const [name, sum] of Object.entries(reference)) expect(Number(sum.split(':')[0]), name).toBeGreaterThan(0);
    });

    it('changes nothing on a second run: every file is skipped as unchanged', async () => {
      const again = await load(opened[0]!.store, lake.dir);
      expect(again.summary).toMatchObject({ read: 0, persisted: 0, rejected: 0 });
      expect(again.run.files.unchanged).toBe(again.run.files.unchanged + again.run.files.loaded);
      expect(again.run.files.unchanged).toBeGreaterThan(0);
      expect(await checksums(opened[0]!.store)).toEqual(reference);
    });

    it('gives the same tables when days load in reverse order, each twice', async () => {
      const { store } = await fresh('reverse');
      await migrateWarehouse(store, MIGRATIONS);
      for (const day of [...days].reverse()) {
        for (let time = 0; time < 2; time++) {
          // The second time the day's checkpoints are forgotten, so its lines are merged again.
          if (time === 1) await store.query(`DELETE FROM sluice_checkpoints WHERE stream LIKE 'vehicle-events:data/${day}/%'`);
          const run = runEtl({ store, lake: lake.dir, days: { from: day, to: day } });
          const summary = await run.done;
          expect(summary.read).toBeGreaterThan(0);
          expect([...run.daysLoaded]).toEqual([day]);
        }
      }
      expect(await checksums(store)).toEqual(reference);
    });

    it('gives the same tables when every event arrives twice more, in other files and days', async () => {
      const copy = await tempDir('dup');
      try {
        await cp(lake.dir, copy.dir, { recursive: true });
        // Each day's lines again, in reverse, in an extra file of the next day (the last day's in the first day).
        for (const [i, day] of days.entries()) {
          const target = days[(i + 1) % days.length]!;
          const dir = join(lake.dir, 'data', day);
          const lines = (await Promise.all((await readdir(dir)).map((f) => readFile(join(dir, f), 'utf8')))).join('').split('\n').filter(Boolean);
          await writeFile(join(copy.dir, 'data', target, '9999999999.json'), [...lines].reverse().join('\n') + '\n' + lines.join('\n') + '\n');
        }
        const { store } = await fresh('dup');
        const { summary } = await load(store, copy.dir);
        expect(summary.persisted + summary.rejected).toBe(summary.read);
        expect(await checksums(store)).toEqual(reference);
      } finally {
        await copy.remove();
      }
    });

    it('resumes a run stopped in the middle and ends with the same tables', async () => {
      const { store } = await fresh('stop');
      await migrateWarehouse(store, MIGRATIONS);
      // Early in a file of hundreds of lines: the read-ahead (3 batches and a 64 KiB chunk) cannot finish it.
      const stopped = await stoppedAtLine(runEtl({ store, lake: lake.dir, batchSize: 20 }), 100);
      expect(stopped.stopped).toBe(true);
      const rest = runEtl({ store, lake: lake.dir });
      const resumed = await rest.done;
      expect(rest.files, JSON.stringify(stopped)).toMatchObject({ resumed: 1 });
      expect(stopped.read + resumed.read).toBe(lines);
      expect(await checksums(store)).toEqual(reference);
    });

    it('gives the same tables when each write gathers several slices of lines, stopped in the middle of one and resumed', async () => {
      const { store } = await fresh('slices');
      await migrateWarehouse(store, MIGRATIONS);
      // Writes of 50 lines made of slices of 7: a batch ends mid-slice, and a file's last batch is short.
      const stopped = await stoppedAtLine(runEtl({ store, lake: lake.dir, batchSize: 50, sliceSize: 7 }), 120);
      expect(stopped.stopped).toBe(true);
      // What was read before the stop is committed, the open batch included: the counts add up.
      expect(stopped.persisted + stopped.rejected).toBe(stopped.read);
      const rest = runEtl({ store, lake: lake.dir, batchSize: 50, sliceSize: 7 });
      const resumed = await rest.done;
      expect(rest.files).toMatchObject({ resumed: 1 });
      expect(stopped.read + resumed.read).toBe(lines);
      expect(await checksums(store)).toEqual(reference);
    });

    it('loads a file again when it changed since its load', async () => {
      const changed = await tempDir('changed');
      try {
        await cp(lake.dir, changed.dir, { recursive: true });
        const { store } = await fresh('changed');
        await load(store, changed.dir);
        const day = days[1]!;
        const file = (await readdir(join(changed.dir, 'data', day))).sort()[2]!;
        const [vehicle] = await store.query<{ id: string; organization_id: string }>('SELECT id, organization_id FROM vehicles ORDER BY id LIMIT 1');
        const line = { event: 'update', on: 'vehicle', at: `${day}T11:00:00.500Z`, data: { id: vehicle!.id, location: { lat: 52.5, lng: 13.4, at: `${day}T11:00:00.000Z` } }, organization_id: vehicle!.organization_id };
        await appendFile(join(changed.dir, 'data', day, file), JSON.stringify(line) + '\n');
        const positionsBefore = await checksumOf(store, 'positions', ['vehicle_id', 'at', 'lat', 'lng']);
        const again = runEtl({ store, lake: changed.dir });
        const summary = await again.done;
        expect(again.files).toMatchObject({ reloaded: 1, loaded: 0, resumed: 0 });
        expect(summary.read).toBeGreaterThan(1); // the whole file, from its first line
        const positionsAfter = await checksumOf(store, 'positions', ['vehicle_id', 'at', 'lat', 'lng']);
        expect(Number(positionsAfter.split(':')[0])).toBe(Number(positionsBefore.split(':')[0]) + 1);
        const now = await checksums(store);
        for (const table of ['organisations', 'vehicles', 'vehicle_events', 'operating_period_events']) expect(now[table], table).toBe(reference[table]);
      } finally {
        await changed.remove();
      }
    });
  });
});
