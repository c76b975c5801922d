/**
 * The traps DESIGN.md warns about are real on the generated data: correlating cumulative production
 * (joined on time) puts a decoy counter on top, and without detrending a drifting gauge rides along
 * with a trending output. `rankCorrelations` falls for neither.
 */
import { describe, expect, it } from 'vitest';
import { generateMachineData } from '../datagen/generate.js';
import { rankCorrelations } from './rank-correlations.js';
import { pearson } from './statistics.js';
import { asSet, plantedDrivers, topParameters } from './test-support.js';
import type { MachineDataId } from './types.js';

/** Samples of each parameter, in time order. */
function byParameter(metrics: { id: MachineDataId[]; val: Float64Array; time: Float64Array }) {
  const out = new Map<MachineDataId, { time: number[]; val: number[] }>();
  metrics.id.forEach((id, i) => {
    const s = out.get(id) ?? { time: [], val: [] };
    s.time.push(metrics.time[i]!);
    s.val.push(metrics.val[i]!);
    out.set(id, s);
  });
  return out;
}

/** The naive method: each reading's cumulative production against the parameter's last value before it. */
function naiveCumulativeRanking(data: ReturnType<typeof generateMachineData>, product: MachineDataId): MachineDataId[] {
  const readings = data.workorders.filter((w) => w.product === product);
  const scores: { id: MachineDataId; r: number }[] = [];
  for (const [id, s] of byParameter(data.metrics)) {
    const x: number[] = [];
    const y: number[] = [];
    let j = 0;
    for (const w of readings) {
      while (j + 1 < s.time.length && s.time[j + 1]! <= w.time) j++;
      if (s.time[j]! > w.time) continue;
      x.push(s.val[j]!);
      y.push(w.production);
    }
    scores.push({ id, r: pearson(x, y) ?? 0 });
  }
  return scores.sort((a, b) => Math.abs(b.r) - Math.abs(a.r)).map((s) => s.id);
}

describe('the traps are real, and avoided', () => {
  const data = generateMachineData({ seed: 31, counters: 5 });
  const result = rankCorrelations(data.metrics, data.workorders);

  it.each(data.truth.products.map((p) => [p.product]))('cumulative production ranks a decoy counter first for product %s', (product) => {
    const naive = naiveCumulativeRanking(data, product);
    expect(data.truth.counters).toContain(naive[0]);
    // The whole naive top three are decoy counters; the planted drivers are nowhere near.
    expect(naive.slice(0, 3).every((id) => data.truth.counters.includes(id))).toBe(true);
    expect(naive.slice(0, 3).some((id) => plantedDrivers(data.truth, product).includes(id))).toBe(false);
    // rankCorrelations finds the planted drivers instead.
    expect(asSet(topParameters(result, product))).toEqual(asSet(plantedDrivers(data.truth, product)));
  });

  it('joining on equal timestamps finds almost nothing to correlate', () => {
    const sampleTimes = new Set(data.metrics.time);
    const matches = data.workorders.filter((w) => sampleTimes.has(w.time)).length;
    expect(matches / data.workorders.length).toBeLessThan(0.1);
  });

  it('without detrending, drifting gauges ride along with a trending output; with it they do not', () => {
    const drifting = generateMachineData({ seed: 32, driftingGauges: 3, outputTrend: 1.5 });
    const raw = rankCorrelations(drifting.metrics, drifting.workorders, { detrend: 'none' });
    const detrended = rankCorrelations(drifting.metrics, drifting.workorders);
    for (const { product } of drifting.truth.products) {
      expect(topParameters(raw, product).some((id) => drifting.truth.driftingGauges.includes(id))).toBe(true);
      expect(asSet(topParameters(detrended, product))).toEqual(asSet(plantedDrivers(drifting.truth, product)));
    }
  });
});
