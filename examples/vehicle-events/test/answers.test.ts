/**
 * The answers against the generator's ground truth, on SQLite and PostgreSQL: the same operating
 * periods with the same bounds and vehicles, each average within 0.5 % (in fact to rounding).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readAnswers } from '../src/answers.js';
import type { GenerateResult } from '../src/generate.js';
import { writeSmallLake } from './support/lake.js';
import { load, openWarehouse, pgReachable, tempDir, type Engine, type TestWarehouse } from './support/warehouse.js';

const pg = await pgReachable();

describe.each<Engine>(['sqlite', 'pg'])('answers on %s', (engine) => {
  describe.skipIf(engine === 'pg' && !pg)('against the ground truth', () => {
    let lake: { dir: string; remove: () => Promise<void> };
    let generated: GenerateResult;
    let warehouse: TestWarehouse;

    beforeAll(async () => {
      lake = await tempDir('answers');
      generated = await writeSmallLake(lake.dir);
      warehouse = await openWarehouse(engine, 'answers');
    });
    afterAll(async () => {
      await warehouse?.drop();
      await lake?.remove();
    });

    it('loads every line: events persisted, broken lines rejected, the counts add up', async () => {
      const { summary, run } = await load(warehouse.store, lake.dir);
      expect(summary.read).toBe(generated.lines);
      expect(summary.rejected).toBe(generated.broken);
      expect(summary.persisted + summary.rejected).toBe(summary.read);
      expect(run.files).toEqual({ loaded: generated.files, resumed: 0, reloaded: 0, unchanged: 0 });
    });

    it('gives each operating period the true vehicles and average distance (within 0.5 %)', async () => {
      const answers = await readAnswers(warehouse.store);
      const truth = generated.truth;
      expect(truth.operatingPeriods.length).toBeGreaterThan(8);
      expect(truth.operatingPeriods.filter((p) => p.vehicles > 0).length).toBeGreaterThan(8);
      expect(answers.operatingPeriods.map((p) => [p.id, p.start, p.finish, p.vehicles])).toEqual(truth.operatingPeriods.map((p) => [p.id, p.start, p.finish, p.vehicles]));
      answers.operatingPeriods.forEach((p, i) => {
        const expected = truth.operatingPeriods[i]!.averageDistanceKm;
        if (expected === null) expect(p.averageDistanceKm).toBeNull();
        else expect(Math.abs(p.averageDistanceKm! - expected) / expected, p.id).toBeLessThan(0.005);
      });
      expect(Math.abs(answers.overallAverageKm! - truth.overallAverageKm!) / truth.overallAverageKm!).toBeLessThan(0.005);
      // A distance plausible for a shift in town (the generator drives at 15–45 km/h with stops).
      expect(truth.overallAverageKm!).toBeGreaterThan(30);
      expect(truth.overallAverageKm!).toBeLessThan(400);
    });
  });
});
