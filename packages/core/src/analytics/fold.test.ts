import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.js';
import { generateMachineData, toMetricRecords } from '../datagen/generate.js';
import type { Metric } from '../schemas/machine-data.js';
import { correlationFold, rankCorrelationsOf } from './fold.js';
import { rankCorrelations } from './rank-correlations.js';
import { shuffled } from './test-support.js';
import type { CorrelationOptions, MachineDataId, MetricColumns } from './types.js';

/** Samples regrouped one parameter after another (input order kept within a parameter), unidentified ones between. */
function byParameter(metrics: readonly Metric[]): Metric[] {
  const groups = new Map<unknown, Metric[]>();
  for (const m of metrics) {
    const key = typeof m?.id === 'number' || typeof m?.id === 'string' ? m.id : 'unidentified';
    let group = groups.get(key);
    if (group === undefined) groups.set(key, (group = []));
    group.push(m);
  }
  return [...groups.values()].flat();
}

function* chunked<T>(items: readonly T[], size: number): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}

function asColumns(records: readonly Metric[]): MetricColumns {
  return { id: records.map((r) => r.id), time: Float64Array.from(records, (r) => r.time), val: Float64Array.from(records, (r) => r.val) };
}

async function* asAsync<T>(items: Iterable<T>): AsyncGenerator<T> {
  for (const item of items) yield item;
}

describe('correlationFold: rankCorrelations over samples in chunks', () => {
  const cases: [string, Parameters<typeof generateMachineData>[0], CorrelationOptions][] = [
    ['defaults', {}, {}],
    ['string ids, counter resets, three products', { seed: 7, ids: 'string', products: 3, counterResets: 4, productionResets: 4 }, {}],
    ['products taking turns, forced kinds, more series, no detrending', { seed: 4, products: 3, schedule: 'turns', runMs: 8 * 3_600_000, durationMs: 40 * 86_400_000 }, { counters: [1], gauges: [2], seriesTop: 6, detrend: 'none' }],
  ];

  it.each(cases)('gives the in-memory result on the same samples: %s', async (_, shape, options) => {
    const data = generateMachineData(shape);
    // Shuffled within each parameter, with duplicates, invalid samples and unusable ids mixed in.
    const records = shuffled(toMetricRecords(data.metrics), 3);
    const noisy: Metric[] = [
      ...records,
      ...records.slice(0, 500).map((m) => ({ ...m, val: m.val + 1 })), // same times, later: these win
      { id: records[0]!.id, time: Number.NaN, val: 1 },
      { id: records[1]!.id, time: 5, val: 'x' as unknown as number },
      { id: '' as MachineDataId, time: 5, val: 1 },
      null as unknown as Metric,
    ];
    const expected = rankCorrelations(noisy, data.workorders, options);
    const grouped = byParameter(noisy);
    expect(rankCorrelations(grouped, data.workorders, options)).toEqual(expected);
    for (const size of [1, 997, 50_000]) {
      const fold = correlationFold(data.workorders, options);
      for (const chunk of chunked(grouped, size)) fold.add(chunk);
      expect(fold.result()).toEqual(expected);
    }
    const clean = byParameter(records);
    const columns = [...chunked(clean, 4096)].map(asColumns);
    expect(await rankCorrelationsOf(asAsync(columns), data.workorders, options)).toEqual(rankCorrelations(records, data.workorders, options));
  });

  it('refuses a parameter whose samples come back after another one started, and use after result()', () => {
    const data = generateMachineData({ seed: 2, parameters: 4, counters: 1, products: 1 });
    const records = toMetricRecords(data.metrics); // in time order: parameters interleave
    const fold = correlationFold(data.workorders);
    const error = (() => {
      try {
        fold.add(records.slice(0, 100));
      } catch (e) {
        return e as Error;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect(error?.message).toMatch(/order the query by parameter/);
    const done = correlationFold(data.workorders);
    done.add([]);
    expect(done.result().parameters).toEqual([]);
    expect(() => done.add([])).toThrow(ConfigError);
    expect(() => done.result()).toThrow(ConfigError);
    expect(() => correlationFold('nope' as never)).toThrow(ConfigError);
    expect(() => correlationFold(data.workorders).add({ id: [1], time: [], val: [] })).toThrow(ConfigError);
  });
});
