import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.js';
import { metricSchema, workorderSchema } from '../schemas/machine-data.js';
import { machineDataJsonLines, formatMachineDataTime } from './format.js';
import { generateMachineData, machineDataStream, toMetricRecords } from './generate.js';
import { createSeededRandom } from './random.js';
import { pearson } from '../analytics/statistics.js';

const HOUR = 3_600_000;

describe('createSeededRandom', () => {
  it('is deterministic per seed and roughly uniform / normal', () => {
    const a = createSeededRandom(42);
    const b = createSeededRandom(42);
    const xs = Array.from({ length: 20_000 }, () => a.next());
    expect(xs.slice(0, 5)).toEqual(Array.from({ length: 5 }, () => b.next()));
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(xs.reduce((s, x) => s + x, 0) / xs.length).toBeCloseTo(0.5, 1);
    const normals = Array.from({ length: 20_000 }, () => a.normal());
    const mean = normals.reduce((s, x) => s + x, 0) / normals.length;
    const variance = normals.reduce((s, x) => s + (x - mean) ** 2, 0) / normals.length;
    expect(mean).toBeCloseTo(0, 1);
    expect(variance).toBeCloseTo(1, 1);
    expect(createSeededRandom(43).next()).not.toBe(xs[0]);
  });
});

describe('generateMachineData', () => {
  it('is deterministic: same options, same data; another seed, other data', () => {
    const options = { seed: 5, durationMs: 3 * 24 * HOUR };
    const a = generateMachineData(options);
    expect(generateMachineData(options)).toEqual(a);
    expect(generateMachineData({ ...options, seed: 6 }).metrics.val).not.toEqual(a.metrics.val);
  });

  it('produces records of the sample files’ shape, in time order, at whole seconds', () => {
    const data = generateMachineData({ durationMs: 2 * 24 * HOUR });
    for (const m of toMetricRecords(data.metrics)) expect(metricSchema.parse(m)).toEqual(m);
    for (const w of data.workorders) expect(workorderSchema.parse(w)).toEqual(w);
    const times = Array.from(data.metrics.time);
    expect(times).toEqual([...times].sort((x, y) => x - y));
    expect(times.every((t) => t % 1000 === 0)).toBe(true);
    expect(new Set(data.metrics.id)).toEqual(new Set(Array.from({ length: 20 }, (_, i) => i)));
    expect(new Set(data.workorders.map((w) => w.product))).toEqual(new Set([0, 1]));
  });

  it('samples irregularly around the mean interval, readings per product likewise', () => {
    const data = generateMachineData({ durationMs: 7 * 24 * HOUR, metricIntervalMs: 600_000, jitter: 0.4 });
    const times = Array.from(data.metrics.time).filter((_, i) => data.metrics.id[i] === 3);
    const steps = times.slice(1).map((t, i) => t - times[i]!);
    expect(Math.min(...steps)).toBeGreaterThanOrEqual(0.6 * 600_000 - 1000);
    expect(Math.max(...steps)).toBeLessThanOrEqual(1.4 * 600_000 + 1000);
    expect(new Set(steps).size).toBeGreaterThan(50);
    expect(steps.reduce((s, x) => s + x, 0) / steps.length).toBeCloseTo(600_000, -4);
  });

  it('makes counters rise steadily, with the requested resets, and production cumulative', () => {
    const data = generateMachineData({ seed: 3, counters: 3, counterResets: 2, productionResets: 1 });
    expect(data.truth.counters).toHaveLength(3);
    for (const counter of data.truth.counters) {
      const values = Array.from(data.metrics.val).filter((_, i) => data.metrics.id[i] === counter);
      const drops = values.slice(1).filter((v, i) => v < values[i]!).length;
      expect(drops).toBe(2);
      const rises = values.slice(1).filter((v, i) => v > values[i]!).length;
      expect(rises).toBeGreaterThan(0.99 * (values.length - 1 - drops)); // down only at the resets
    }
    for (const product of [0, 1]) {
      const production = data.workorders.filter((w) => w.product === product).map((w) => w.production);
      const bigDrops = production.slice(1).filter((v, i) => v < production[i]! * 0.5).length;
      expect(bigDrops).toBe(1);
    }
  });

  it('runs products in turns without overlap, with gaps between their runs', () => {
    const data = generateMachineData({ products: 3, schedule: 'turns', runMs: 6 * HOUR, changeoverMs: HOUR, durationMs: 6 * 24 * HOUR });
    const turn = 7 * HOUR;
    for (const w of data.workorders) {
      const phase = (w.time - data.options.start) % (3 * turn);
      const index = data.truth.products.findIndex((p) => p.product === w.product);
      expect(phase).toBeGreaterThanOrEqual(index * turn);
      expect(phase).toBeLessThan(index * turn + 6 * HOUR + data.options.workorderIntervalMs);
    }
    const times = data.workorders.filter((w) => w.product === 0).map((w) => w.time);
    const longGaps = times.slice(1).filter((t, i) => t - times[i]! > 10 * HOUR).length;
    expect(longGaps).toBeGreaterThanOrEqual(5);
  });

  it('stops concurrent products for the requested stoppages', () => {
    const data = generateMachineData({ stoppages: 3, stoppageMs: 10 * HOUR, durationMs: 10 * 24 * HOUR });
    for (const product of [0, 1]) {
      const times = data.workorders.filter((w) => w.product === product).map((w) => w.time);
      expect(times.slice(1).filter((t, i) => t - times[i]! > 8 * HOUR)).toHaveLength(3);
    }
  });

  it('uses string ids on request and reports the truth with the same ids', () => {
    const data = generateMachineData({ ids: 'string', durationMs: 2 * 24 * HOUR });
    expect(data.metrics.id.every((id) => typeof id === 'string' && id.startsWith('param-'))).toBe(true);
    expect(data.truth.products.map((p) => p.product)).toEqual(['product-0', 'product-1']);
    for (const p of data.truth.products) {
      expect(p.drivers.map((d) => d.strength)).toEqual([0.7, 0.5, 0.4]);
      for (const d of p.drivers) expect(data.metrics.id).toContain(d.parameter);
    }
  });

  it('keeps planted drivers away from counters and drifting gauges', () => {
    const data = generateMachineData({ parameters: 10, counters: 3, driftingGauges: 3, drivers: 4, strengths: [0.6, 0.5, 0.4, 0.3], durationMs: HOUR * 24 });
    for (const p of data.truth.products) {
      for (const d of p.drivers) {
        expect(data.truth.counters).not.toContain(d.parameter);
        expect(data.truth.driftingGauges).not.toContain(d.parameter);
      }
    }
  });

  it('plants process delays and names them in the truth', () => {
    const base = { seed: 9, durationMs: 4 * 24 * HOUR };
    const undelayed = generateMachineData(base);
    expect(generateMachineData({ ...base, delayMs: 0 })).toEqual(undelayed); // delay 0 is the old generator
    expect(undelayed.truth.products.flatMap((p) => p.drivers.map((d) => d.delaySeconds))).toEqual(Array(6).fill(0));
    const delayed = generateMachineData({ ...base, delayMs: 2 * HOUR });
    expect(delayed.truth.products.flatMap((p) => p.drivers.map((d) => d.delaySeconds))).toEqual(Array(6).fill(7200));
    expect(delayed.truth.products.map((p) => p.drivers.map((d) => d.parameter))).toEqual(undelayed.truth.products.map((p) => p.drivers.map((d) => d.parameter)));
    const relations = [[{ parameter: 1, strength: 0.6, delayMs: 3 * HOUR }, { parameter: 2, strength: 0.5 }], [{ parameter: 3, strength: 0.5, delayMs: 0 }]];
    const mixed = generateMachineData({ ...base, relations, delayMs: HOUR });
    expect(mixed.truth.products.map((p) => p.drivers.map((d) => [d.parameter, d.delaySeconds]))).toEqual([[[1, 10_800], [2, 3600]], [[3, 0]]]);
    // Delays are realised in whole ticks (10 min here): 25 min becomes 20 or 30 min.
    expect(generateMachineData({ ...base, delayMs: 25 * 60_000 }).truth.products[0]!.drivers[0]!.delaySeconds % 600).toBe(0);
  });

  it('makes the delayed driver follow output later, not at once', () => {
    const relations = [[{ parameter: 0, strength: 0.9, delayMs: 4 * HOUR }]];
    const data = generateMachineData({ seed: 10, products: 1, parameters: 3, counters: 0, relations, workorderIntervalMs: HOUR / 2, correlationMs: HOUR, measurementNoise: 0 });
    // Output per interval against the driver's sample nearest to the interval's middle, at lag 0 and 4 h.
    const driver = Array.from(data.metrics.time).map((t, i) => ({ t, v: data.metrics.val[i]!, id: data.metrics.id[i] })).filter((s) => s.id === 0);
    const at = (t: number) => driver.reduce((best, s) => (Math.abs(s.t - t) < Math.abs(best.t - t) ? s : best)).v;
    const x0: number[] = [];
    const x4: number[] = [];
    const y: number[] = [];
    for (let i = 1; i < data.workorders.length; i++) {
      const [a, b] = [data.workorders[i - 1]!, data.workorders[i]!];
      const mid = (a.time + b.time) / 2;
      if (mid - 4 * HOUR < data.options.start + HOUR) continue;
      y.push((b.production - a.production) / (b.time - a.time));
      x0.push(at(mid));
      x4.push(at(mid - 4 * HOUR));
    }
    expect(pearson(x4, y)!).toBeGreaterThan(0.6);
    expect(Math.abs(pearson(x0, y)!)).toBeLessThan(0.2);
  });

  it('streams the same records in chunks of the requested size', () => {
    const options = { durationMs: 3 * 24 * HOUR };
    const chunks = [...machineDataStream(options).chunks(1000)];
    expect(chunks.length).toBeGreaterThan(5);
    expect(chunks.slice(0, -1).every((c) => c.metrics.id.length >= 1000 && c.metrics.id.length < 1100)).toBe(true);
    expect(chunks.flatMap((c) => c.metrics.val)).toEqual(Array.from(generateMachineData(options).metrics.val));
    expect(() => machineDataStream(options).chunks(0)).toThrow(/chunkSize/);
  });

  it('refuses impossible options with a ConfigError naming the option', () => {
    const cases: [object, string][] = [
      [{ parameters: 0 }, 'parameters'],
      [{ counters: 30 }, 'counters'],
      [{ strengths: [0.9, 0.9, 0.1] }, 'strengths'],
      [{ drivers: 4 }, 'strengths'],
      [{ parameters: 5, counters: 3, drivers: 3 }, 'drivers'],
      [{ relations: [[{ parameter: 1, strength: 0.5 }]] }, 'relations'],
      [{ start: 'not a time' }, 'start'],
      [{ metricIntervalMs: 10 }, 'metricIntervalMs'],
      [{ schedule: 'sometimes' }, 'schedule'],
      [{ delayMs: -1 }, 'delayMs'],
      [{ relations: [[{ parameter: 1, strength: 0.5, delayMs: Number.NaN }], []] }, 'relations'],
    ];
    for (const [options, option] of cases) {
      expect(() => generateMachineData(options)).toThrow(ConfigError);
      try {
        generateMachineData(options);
      } catch (error) {
        expect((error as ConfigError).option).toBe(option);
      }
    }
  });
});

describe('record text', () => {
  it('formats times as ISO text, epoch ms or epoch seconds', () => {
    const t = Date.UTC(2021, 5, 22, 16, 37, 58);
    expect(formatMachineDataTime(t, 'iso')).toBe('2021-06-22T16:37:58.000Z');
    expect(formatMachineDataTime(t, 'epoch-ms')).toBe(t);
    expect(formatMachineDataTime(t, 'epoch-s')).toBe(1624379878);
  });

  it('writes one JSON object per line with the sample files’ keys', () => {
    const chunk = {
      metrics: { id: [19, 'x'], val: [797.38, -1.5], time: [Date.UTC(2021, 5, 22), Date.UTC(2021, 5, 22, 0, 0, 1)] },
      workorders: [{ time: Date.UTC(2021, 5, 22), product: 0, production: 15.68 }],
    };
    const text = machineDataJsonLines(chunk, 'iso');
    expect(text.metrics).toBe('{"id":19,"val":797.38,"time":"2021-06-22T00:00:00.000Z"},\n{"id":"x","val":-1.5,"time":"2021-06-22T00:00:01.000Z"}');
    expect(text.workorders).toBe('{"time":"2021-06-22T00:00:00.000Z","product":0,"production":15.68}');
  });
});
