import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.js';
import { generateMachineData, toMetricRecords } from '../datagen/generate.js';
import type { MachineDataOptions } from '../datagen/options.js';
import type { Metric, Workorder } from '../schemas/machine-data.js';
import { rankCorrelations } from './rank-correlations.js';
import { asSet, numbersIn, plantedDrivers, shuffled, topParameters } from './test-support.js';
import type { CorrelationResult } from './types.js';

const shapes: [string, MachineDataOptions][] = [
  ['defaults: 20 parameters (4 counters), 2 concurrent products, numeric ids', {}],
  ['few parameters, one product', { seed: 2, parameters: 8, counters: 2, products: 1 }],
  ['many parameters, three products', { seed: 3, parameters: 40, counters: 8, products: 3 }],
  ['products taking turns with changeovers', { seed: 4, products: 3, schedule: 'turns', runMs: 8 * 3_600_000, durationMs: 56 * 86_400_000 }],
  ['concurrent products with stoppages (gaps)', { seed: 5, stoppages: 6 }],
  ['string ids', { seed: 6, ids: 'string' }],
  ['counter resets in parameters and production', { seed: 7, counterResets: 4, productionResets: 4 }],
  ['drifting gauges and a trending output', { seed: 8, driftingGauges: 3, outputTrend: 0.8 }],
  ['explicit relations, one negative', { seed: 9, relations: [[{ parameter: 3, strength: -0.7 }, { parameter: 5, strength: 0.5 }, { parameter: 11, strength: 0.4 }], [{ parameter: 0, strength: 0.6 }, { parameter: 1, strength: -0.55 }, { parameter: 2, strength: 0.45 }]] }],
];

describe('rankCorrelations on generated data', () => {
  it.each(shapes)('finds the planted drivers on top: %s', (_, options) => {
    const data = generateMachineData(options);
    const result = rankCorrelations(data.metrics, data.workorders);
    expect(result.products.map((p) => p.product)).toEqual(data.truth.products.map((p) => p.product));
    for (const product of result.products) {
      const planted = plantedDrivers(data.truth, product.product);
      expect(product.status).toBe('ok');
      expect(asSet(topParameters(result, product.product, planted.length))).toEqual(asSet(planted));
      expect(product.ranking[0]!.parameter).toEqual(planted[0]); // the strongest relation comes first
      expect(product.series.map((s) => s.parameter)).toEqual(topParameters(result, product.product, 3));
    }
    // Counters are recognised and used as rates; gauges as levels.
    for (const p of result.parameters) {
      expect(p.kind).toBe(data.truth.counters.includes(p.parameter) ? 'counter' : 'gauge');
    }
    for (const entry of result.products.flatMap((p) => p.ranking)) {
      expect(entry.measure).toBe(entry.kind === 'counter' ? 'rate' : 'level');
    }
    expect(numbersIn(result).filter((n) => !Number.isFinite(n.value))).toEqual([]);
  });

  it('reports each product on its own time line, with gaps and resets skipped and counted', () => {
    const data = generateMachineData({ seed: 11, stoppages: 4, productionResets: 3 });
    const result = rankCorrelations(data.metrics, data.workorders);
    for (const product of result.products) {
      expect(product.skipped.gaps).toBeGreaterThanOrEqual(4);
      expect(product.skipped.resets).toBe(3);
      expect(product.intervals + product.skipped.gaps + product.skipped.resets).toBe(product.readings - 1);
    }
  });

  it('ranks by |r| at the chosen lag (then p, then id) and gives series aligned point by point', () => {
    const data = generateMachineData({ seed: 12 });
    const result = rankCorrelations(data.metrics, data.workorders, { seriesTop: 5 });
    for (const product of result.products) {
      const strengths = product.ranking.map((e) => Math.abs(e.r));
      expect(strengths).toEqual([...strengths].sort((a, b) => b - a));
      expect(product.series).toHaveLength(5);
      for (const [i, s] of product.series.entries()) {
        expect(s.parameter).toEqual(product.ranking[i]!.parameter);
        expect(s.x).toHaveLength(product.ranking[i]!.n);
        expect(s.y).toHaveLength(s.x.length);
        expect(s.t).toHaveLength(s.x.length);
      }
      for (const e of product.ranking) {
        expect(e.ci[0]).toBeLessThanOrEqual(e.r);
        expect(e.ci[1]).toBeGreaterThanOrEqual(e.r);
        expect(e.p).toBeGreaterThanOrEqual(0);
        expect(e.p).toBeLessThanOrEqual(1);
      }
    }
  });

  it('breaks exact ties by parameter id, numbers before strings', () => {
    // Two parameters with identical samples correlate identically; their order must not depend on input order.
    const workorders: Workorder[] = [];
    const metrics: Metric[] = [];
    let produced = 0;
    for (let i = 0; i < 40; i++) {
      const level = Math.sin(i) * 10 + 50;
      workorders.push({ time: i * 60_000, product: 'A', production: produced });
      produced += level * (1 + 0.1 * Math.cos(i * 7));
      for (const id of ['b', 'a', 2, 1]) metrics.push({ id, val: level, time: i * 60_000 + 30_000 });
    }
    const result = rankCorrelations(shuffled(metrics, 1), workorders);
    expect(result.products[0]!.ranking.map((e) => e.parameter)).toEqual([1, 2, 'a', 'b']);
  });
});

describe('rankCorrelations input handling', () => {
  const data = generateMachineData({ seed: 21, parameters: 10, counters: 2, counterResets: 2, durationMs: 10 * 86_400_000 });
  const records = toMetricRecords(data.metrics);

  /** The result without the counts that legitimately change when duplicates are added. */
  const comparable = (r: CorrelationResult) => ({
    ...r,
    parameters: r.parameters.map(({ duplicates: _, ...rest }) => rest),
    products: r.products.map(({ duplicates: _, ...rest }) => rest),
  });

  it('gives the same result for records and columns', () => {
    expect(rankCorrelations(records, data.workorders)).toEqual(rankCorrelations(data.metrics, data.workorders));
  });

  it('gives the same result for shuffled, duplicated input as for clean input', () => {
    const clean = rankCorrelations(records, data.workorders);
    const metricCopies = records.filter((_, i) => i % 17 === 0).map((m) => ({ ...m }));
    const workorderCopies = data.workorders.filter((_, i) => i % 9 === 0).map((w) => ({ ...w }));
    const messy = rankCorrelations(shuffled([...records, ...metricCopies], 3), shuffled([...data.workorders, ...workorderCopies], 4));
    expect(comparable(messy)).toEqual(comparable(clean));
    expect(messy.parameters.reduce((sum, p) => sum + p.duplicates, 0)).toBe(metricCopies.length);
    expect(messy.products.reduce((sum, p) => sum + p.duplicates, 0)).toBe(workorderCopies.length);
  });

  it('keeps the last of two samples with the same time', () => {
    const base = rankCorrelations(records, data.workorders);
    const first = records[100]!;
    const changed = [...records.slice(0, 100), { ...first, val: first.val + 1e6 }, ...records.slice(100)]; // an earlier, different duplicate
    expect(comparable(rankCorrelations(changed, data.workorders))).toEqual(comparable(base));
  });

  it('counts invalid values and unusable ids instead of crashing', () => {
    const bad = [
      ...records,
      { id: 0, val: Number.NaN, time: 1 },
      { id: 0, val: 1, time: Number.POSITIVE_INFINITY },
      { id: undefined, val: 1, time: 1 },
      { id: '', val: 1, time: 1 },
      null,
    ] as unknown as Metric[];
    const result = rankCorrelations(bad, [...data.workorders, { time: 5, product: 0, production: Number.NaN }]);
    expect(result.parameters.find((p) => p.parameter === 0)!.invalid).toBe(2);
    expect(result.unidentified).toEqual({ metrics: 3, workorders: 0 });
    expect(result.products.find((p) => p.product === 0)!.invalid).toBe(1);
    expect(numbersIn(result).filter((n) => !Number.isFinite(n.value))).toEqual([]);
  });

  it('keeps number and string ids apart', () => {
    const mixed = [...records, ...records.filter((m) => m.id === 1).map((m) => ({ ...m, id: '1' }))];
    const result = rankCorrelations(mixed, data.workorders);
    expect(result.parameters.map((p) => p.parameter)).toContain('1');
    expect(result.parameters.map((p) => p.parameter)).toContain(1);
  });

  it('reports products and parameters with too little data, never NaN', () => {
    const workorders: Workorder[] = [
      ...data.workorders,
      { time: data.workorders[0]!.time, product: 'rare', production: 0 },
      { time: data.workorders[0]!.time + 3_600_000, product: 'rare', production: 10 },
      { time: data.workorders[0]!.time + 7_200_000, product: 'rare', production: 25 },
    ];
    const t0 = data.metrics.time[0]!;
    const metrics: Metric[] = [
      ...records,
      { id: 'sparse', val: 1, time: t0 },
      { id: 'sparse', val: 2, time: t0 + 1000 },
      ...Array.from({ length: 500 }, (_, i) => ({ id: 'flat', val: 42, time: t0 + i * 600_000 })),
    ];
    const result = rankCorrelations(metrics, workorders);
    const rare = result.products.find((p) => p.product === 'rare')!;
    expect(rare.status).toBe('insufficient-data');
    expect(rare.reason).toMatch(/only 2 usable intervals/);
    expect(rare.ranking).toEqual([]);
    const product = result.products.find((p) => p.product === 0)!;
    expect(product.excluded.find((e) => e.parameter === 'sparse')).toMatchObject({ status: 'too-few-intervals' });
    expect(product.excluded.find((e) => e.parameter === 'flat')).toMatchObject({ status: 'zero-variance' });
    expect(product.ranking.map((e) => e.parameter)).not.toContain('flat');
    expect(numbersIn(result).filter((n) => !Number.isFinite(n.value))).toEqual([]);
  });

  it('handles empty input', () => {
    expect(rankCorrelations([], [])).toMatchObject({ parameters: [], products: [] });
    const onlyWorkorders = rankCorrelations([], data.workorders);
    expect(onlyWorkorders.products.every((p) => p.status === 'ok' && p.ranking.length === 0)).toBe(true);
  });

  it('lets options force a parameter to be a counter or a gauge', () => {
    const counter = data.truth.counters[0]!;
    const result = rankCorrelations(data.metrics, data.workorders, { gauges: [counter], counters: [3] });
    expect(result.parameters.find((p) => p.parameter === counter)).toMatchObject({ kind: 'gauge', kindFrom: 'option' });
    expect(result.parameters.find((p) => p.parameter === 3)).toMatchObject({ kind: 'counter', kindFrom: 'option' });
  });

  it('refuses impossible options and arguments with a ConfigError naming them', () => {
    expect(() => rankCorrelations([], [], { minIntervals: 2 })).toThrow(ConfigError);
    expect(() => rankCorrelations([], [], { gapFactor: 1 })).toThrow(/gapFactor/);
    expect(() => rankCorrelations([], [], { detrend: 'quadratic' as 'none' })).toThrow(/detrend/);
    expect(() => rankCorrelations([], [], { counters: [1], gauges: [1] })).toThrow(/gauges/);
    expect(() => rankCorrelations({} as Metric[], [])).toThrow(/metrics/);
    expect(() => rankCorrelations([], {} as Workorder[])).toThrow(/workorders/);
  });
});
