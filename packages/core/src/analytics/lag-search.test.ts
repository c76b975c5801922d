/**
 * The lag search (issue 16): planted process delays are found with their lag, undelayed drivers keep
 * lag 0, counters stay out of the top three, and the search does not make unrelated gauges
 * significant. Plus the pieces: lag grid, Šidák, Holm, effective pairs.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.js';
import { generateMachineData } from '../datagen/generate.js';
import type { MachineDataOptions } from '../datagen/options.js';
import { effectivePairs, lagOneAutocorrelation } from './correlate.js';
import { correlationFold } from './fold.js';
import { holmAdjusted, lagGrid, sidak } from './lags.js';
import { rankCorrelations } from './rank-correlations.js';
import { asSet, plantedDrivers, topParameters } from './test-support.js';
import type { CorrelationResult, MachineDataId, ProductCorrelation } from './types.js';

const HOUR = 3_600_000;
/** The setting: readings every 30 min, gauges correlated over 1.5 h. */
const delayedShape: MachineDataOptions = { workorderIntervalMs: HOUR / 2, correlationMs: 1.5 * HOUR, products: 3 };

const productOf = (result: CorrelationResult, id: MachineDataId): ProductCorrelation => result.products.find((p) => p.product === id)!;

/** Asserts that each product's top three are its planted drivers, each at its planted delay within one lag step. */
function expectDriversAtTheirLags(data: ReturnType<typeof generateMachineData>, result: CorrelationResult): void {
  for (const planted of data.truth.products) {
    const product = productOf(result, planted.product);
    const step = product.lagGridSeconds[1]! - product.lagGridSeconds[0]!;
    expect(asSet(topParameters(result, planted.product)), `top three of product ${planted.product}`).toEqual(asSet(plantedDrivers(data.truth, planted.product)));
    for (const driver of planted.drivers) {
      const entry = product.ranking.find((e) => e.parameter === driver.parameter)!;
      expect(Math.abs(entry.lagSeconds - driver.delaySeconds), `lag of ${driver.parameter} (planted ${driver.delaySeconds} s)`).toBeLessThanOrEqual(step);
      expect(entry.significant).toBe(true);
    }
  }
}

describe('the lag search finds planted process delays', () => {
  it.each([0, 1, 3])('recovers drivers delayed by %i h with their lag (within one step)', (hours) => {
    const data = generateMachineData({ ...delayedShape, seed: 40 + hours, delayMs: hours * HOUR });
    expect(data.truth.products.flatMap((p) => p.drivers.map((d) => d.delaySeconds))).toEqual(Array(9).fill(hours * 3600));
    expectDriversAtTheirLags(data, rankCorrelations(data.metrics, data.workorders));
  });

  it('recovers different delays in one file (0, 1 h and 3 h per product)', () => {
    const relations = [
      [{ parameter: 2, strength: 0.6, delayMs: 0 }, { parameter: 5, strength: 0.5, delayMs: HOUR }, { parameter: 9, strength: 0.45, delayMs: 3 * HOUR }],
      [{ parameter: 5, strength: -0.6, delayMs: 3 * HOUR }, { parameter: 11, strength: 0.5, delayMs: 0 }, { parameter: 13, strength: 0.45, delayMs: HOUR }],
    ];
    const data = generateMachineData({ ...delayedShape, products: 2, seed: 44, relations });
    expectDriversAtTheirLags(data, rankCorrelations(data.metrics, data.workorders));
  });

  it('without the search, a 3 h delay hides most drivers (the problem the search solves)', () => {
    const data = generateMachineData({ ...delayedShape, seed: 43, delayMs: 3 * HOUR });
    const flat = rankCorrelations(data.metrics, data.workorders, { maxLagSeconds: 0 });
    const found = data.truth.products.reduce(
      (sum, p) => sum + topParameters(flat, p.product).filter((id) => plantedDrivers(data.truth, p.product).includes(id)).length,
      0,
    );
    expect(found).toBeLessThan(7); // of 9 planted; the search finds all 9 (test above)
    expect(flat.products.every((p) => p.lagGridSeconds.length === 1 && p.ranking.every((e) => e.lagSeconds === 0 && e.lags === 1))).toBe(true);
  });

  it('keeps undelayed drivers on top at lag 0 (or one step) on files of other shapes', () => {
    const shapes: MachineDataOptions[] = [{ seed: 1 }, { seed: 5, stoppages: 6 }, { seed: 8, driftingGauges: 3, outputTrend: 0.8 }, { seed: 4, products: 3, schedule: 'turns', runMs: 8 * HOUR, durationMs: 56 * 24 * HOUR }];
    for (const shape of shapes) {
      const data = generateMachineData(shape);
      const result = rankCorrelations(data.metrics, data.workorders);
      expectDriversAtTheirLags(data, result);
      for (const p of data.truth.products) expect(productOf(result, p.product).ranking[0]!.parameter).toEqual(plantedDrivers(data.truth, p.product)[0]);
    }
  });

  it('never puts a counter in a top three, delayed or not', () => {
    for (const [seed, delayMs] of [[51, 0], [52, 3 * HOUR], [53, HOUR]] as const) {
      const data = generateMachineData({ ...delayedShape, seed, delayMs, counters: 6, counterResets: 2, outputTrend: 0.6 });
      const result = rankCorrelations(data.metrics, data.workorders);
      for (const p of data.truth.products) {
        expect(topParameters(result, p.product).filter((id) => data.truth.counters.includes(id))).toEqual([]);
      }
    }
  });
});

describe('the lag search invents no relations', () => {
  it('finds nothing significant among many unrelated gauges (no planted driver)', () => {
    for (const seed of [61, 62, 63, 64]) {
      const data = generateMachineData({ seed, parameters: 40, counters: 0, drivers: 0, products: 3, ...(seed % 2 ? delayedShape : {}) });
      const result = rankCorrelations(data.metrics, data.workorders);
      for (const product of result.products) {
        expect(product.ranking).toHaveLength(40);
        expect(product.ranking.filter((e) => e.significant).map((e) => `${e.parameter} p ${e.p}`), `seed ${seed}, product ${product.product}`).toEqual([]);
        expect(product.ranking.every((e) => e.lags === product.lagGridSeconds.length)).toBe(true);
      }
    }
  });

  it('pays for the search: the corrected p is the Šidák p of the best lag, never below the uncorrected one', () => {
    const data = generateMachineData({ seed: 65, parameters: 30, counters: 0, drivers: 0, products: 1 });
    const searched = rankCorrelations(data.metrics, data.workorders);
    for (const e of searched.products[0]!.ranking) {
      const best = e.lagProfile.lagSeconds.indexOf(e.lagSeconds);
      expect(e.lagProfile.r[best]).toBe(e.r);
      const single = rankCorrelations(data.metrics, data.workorders, { maxLagSeconds: 0 }).products[0]!.ranking.find((x) => x.parameter === e.parameter)!;
      expect(e.p).toBeGreaterThanOrEqual(e.lagSeconds === 0 ? single.p : 0);
      expect(e.lagProfile.r.length).toBe(e.lags);
    }
  });
});

describe('lag search with the streamed fold', () => {
  it('gives the in-memory result on delayed data with the search on', () => {
    const data = generateMachineData({ ...delayedShape, seed: 70, delayMs: 2 * HOUR, parameters: 12, counters: 3, counterResets: 1 });
    const options = { maxLagSeconds: 4 * 3600, seriesTop: 4 };
    const expected = rankCorrelations(data.metrics, data.workorders, options);
    const order = data.metrics.id.map((id, i) => ({ id, i })).sort((a, b) => Number(a.id) - Number(b.id) || a.i - b.i);
    const fold = correlationFold(data.workorders, options);
    for (let at = 0; at < order.length; at += 3001) {
      const slice = order.slice(at, at + 3001);
      fold.add({ id: slice.map((s) => s.id), time: slice.map((s) => data.metrics.time[s.i]!), val: slice.map((s) => data.metrics.val[s.i]!) });
    }
    const streamed = fold.result();
    expect(streamed).toEqual(expected);
    expect(streamed.products.every((p) => p.series.length === 4 && p.series.every((s, i) => s.lagSeconds === p.ranking[i]!.lagSeconds))).toBe(true);
  });
});

describe('lag search pieces', () => {
  it('lays the grid in steps of the median interval, at most maxLagSteps steps', () => {
    expect(Array.from(lagGrid(1_800_000, 3 * 3600, 48))).toEqual([0, 1, 2, 3, 4, 5, 6].map((k) => k * 1_800_000));
    expect(Array.from(lagGrid(60_000, 3600, 4))).toEqual([0, 900_000, 1_800_000, 2_700_000, 3_600_000]);
    expect(Array.from(lagGrid(1_800_000, 0, 48))).toEqual([0]);
    expect(Array.from(lagGrid(0, 3600, 48))).toEqual([0]);
  });

  it('corrects for the lags tried (Šidák) and over parameters (Holm)', () => {
    expect(sidak(0.01, 1)).toBe(0.01);
    expect(sidak(0.01, 10)).toBeCloseTo(1 - 0.99 ** 10, 14);
    expect(sidak(1e-300, 25)).toBeCloseTo(25e-300, 310);
    expect(sidak(0, 7)).toBe(0);
    expect(holmAdjusted([0.01, 0.02, 0.03, 0.5])).toEqual([0.04, 0.06, 0.06, 0.5]);
    expect(holmAdjusted([])).toEqual([]);
  });

  it('shrinks the pairs for autocorrelation, never below what the statistics need', () => {
    expect(lagOneAutocorrelation([1, -1, 1, -1, 1, -1])).toBeLessThan(-0.5);
    expect(lagOneAutocorrelation([1, 2, 3, 4, 5, 6])).toBeGreaterThan(0.4);
    expect(effectivePairs(100, 0.5, 0.5, 1)).toBeCloseTo((100 * 0.75) / 1.25, 12);
    expect(effectivePairs(100, -0.5, 0.5, 1)).toBe(100);
    expect(effectivePairs(100, 0.999, 0.999, 1)).toBe(5);
    expect(effectivePairs(4, 0.9, 0.9, 1)).toBe(4);
  });

  it('refuses impossible lag options with a ConfigError naming them', () => {
    expect(() => rankCorrelations([], [], { maxLagSeconds: -1 })).toThrow(ConfigError);
    expect(() => rankCorrelations([], [], { maxLagSeconds: Number.NaN })).toThrow(/maxLagSeconds/);
    expect(() => rankCorrelations([], [], { maxLagSteps: 0 })).toThrow(/maxLagSteps/);
    expect(() => rankCorrelations([], [], { significanceLevel: 1 })).toThrow(/significanceLevel/);
  });
});
