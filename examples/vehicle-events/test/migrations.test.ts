/**
 * Versioned migrations: numbered files applied in order on start and recorded; a later migration
 * that adds a column to a warehouse holding data keeps every row; an edited applied migration and
 * a warehouse newer than the program stop the start.
 */
import { readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WarehouseMigrationError } from '../src/errors.js';
import { MIGRATIONS, migrateWarehouse, type Migration } from '../src/migrations/index.js';
import { writeSmallLake } from './support/lake.js';
import { checksums, load, openWarehouse, pgReachable, tempDir, type Engine, type TestWarehouse } from './support/warehouse.js';

const pg = await pgReachable();

/** What a later release might ship: vehicles get a display name, backfilled from the id. */
const addVehicleLabel: Migration = {
  version: MIGRATIONS.length + 1,
  name: 'vehicle labels',
  tables: [
    {
      name: 'vehicles',
      columns: [
        { name: 'id', type: 'text' },
        { name: 'organization_id', type: 'text' },
        { name: 'label', type: 'text', nullable: true },
      ],
      key: ['id', 'organization_id'],
    },
  ],
  sql: () => [`UPDATE vehicles SET label = 'vehicle ' || substr(id, 5) WHERE label IS NULL`],
};

it('lists every numbered file of src/migrations, in order, with the number of its name', async () => {
  const dir = fileURLToPath(new URL('../src/migrations/', import.meta.url));
  const files = (await readdir(dir)).filter((f) => /^\d{3}-.*\.ts$/.test(f)).sort();
  expect(files.map((f) => Number(f.slice(0, 3)))).toEqual(MIGRATIONS.map((m) => m.version));
  expect(MIGRATIONS.map((m) => m.version)).toEqual(MIGRATIONS.map((_, i) => i + 1));
});

describe.each<Engine>(['sqlite', 'pg'])('migrations on %s', (engine) => {
  describe.skipIf(engine === 'pg' && !pg)('a warehouse holding data', () => {
    let lake: { dir: string; remove: () => Promise<void> };
    let warehouse: TestWarehouse;
    let before: Record<string, string>;

    beforeAll(async () => {
      lake = await tempDir('migrate');
      await writeSmallLake(lake.dir, { days: 2 });
      warehouse = await openWarehouse(engine, 'migrate');
      await load(warehouse.store, lake.dir);
      before = await checksums(warehouse.store);
    });
    afterAll(async () => {
      await warehouse?.drop();
      await lake?.remove();
    });

    it('recorded each migration once, and applies none on the next start', async () => {
      const rows = await warehouse.store.query<{ version: number | string; name: string }>('SELECT version, name FROM schema_migrations ORDER BY version');
      expect(rows.map((r) => [Number(r.version), r.name])).toEqual(MIGRATIONS.map((m) => [m.version, m.name]));
      const again = await migrateWarehouse(warehouse.store, MIGRATIONS);
      expect(again.every((m) => !m.applied)).toBe(true);
    });

    it('keeps every row when a later migration adds a column, and fills it', async () => {
      const store = warehouse.reopen(); // a new process: the store knows the tables from its records only
      try {
        const applied = await migrateWarehouse(store, [...MIGRATIONS, addVehicleLabel]);
        expect(applied.filter((m) => m.applied).map((m) => m.version)).toEqual([addVehicleLabel.version]);
        expect(await checksums(store)).toEqual(before);
        const labels = await store.query<{ id: string; label: string | null }>('SELECT id, label FROM vehicles');
        expect(labels.length).toBeGreaterThan(0);
        for (const { id, label } of labels) expect(label).toBe(`vehicle ${id.slice(4)}`);
        // Loading again under the new schema changes nothing: every file is unchanged.
        const rerun = await load(store, lake.dir, {}, [...MIGRATIONS, addVehicleLabel]);
        expect(rerun.summary.read).toBe(0);
        expect(await checksums(store)).toEqual(before);
      } finally {
        await store.close();
      }
    });

    it('refuses to start when an applied migration was edited, or the warehouse is newer', async () => {
      const edited = MIGRATIONS.map((m) => (m.version === 2 ? { ...m, sql: () => ['SELECT 1'] } : m));
      await expect(migrateWarehouse(warehouse.store, [...edited, addVehicleLabel])).rejects.toThrow(/migration 2 \("current state views"\) was changed after it was applied/);
      await expect(migrateWarehouse(warehouse.store, MIGRATIONS)).rejects.toBeInstanceOf(WarehouseMigrationError);
      await expect(migrateWarehouse(warehouse.store, MIGRATIONS)).rejects.toThrow(/at migration 4 \("vehicle labels"\) but this program knows only 3/);
    });
  });
});
