import { describe, expect, it } from 'vitest';
import { formatIssues } from './validate.js';
import { metricKey, metricSchema, plainMetricSchema, plainWorkorderSchema, workorderSchema } from './machine-data.js';

describe('machine-data schemas', () => {
  it('keeps ids as given and normalises times to epoch ms', () => {
    const a = metricSchema.parse({ id: 7, val: 1.5, time: '2021-01-01T00:00:00Z' });
    const b = metricSchema.parse({ id: 'p-7', val: 2, time: 1609459200000 });
    expect(a).toEqual({ id: 7, val: 1.5, time: 1609459200000 });
    expect(b.id).toBe('p-7');
    expect(metricKey(a)).toBe('metric:7:1609459200000');
    expect(metricKey({ ...a, id: '7' })).toBe('metric:"7":1609459200000');
    expect(workorderSchema.parse({ time: '2021-01-01T00:00:00Z', product: 'A', production: 10 }).product).toBe('A');
  });

  it('reads numeric times as epoch seconds or milliseconds by magnitude', () => {
    const seconds = metricSchema.parse({ id: 1, val: 0, time: 1624377478 });
    const millis = metricSchema.parse({ id: 1, val: 0, time: 1624377478000 });
    const text = metricSchema.parse({ id: 1, val: 0, time: '1624377478' });
    expect(seconds.time).toBe(1624377478000);
    expect(millis.time).toBe(1624377478000);
    expect(text.time).toBe(1624377478000);
  });

  it('names the field and the problem for bad records', () => {
    const result = metricSchema.safeParse({ id: 1, val: 'x', time: 'not a time' });
    expect(result.success).toBe(false);
    if (!result.success) {
      const issues = formatIssues(result.error).join('\n');
      expect(issues).toMatch(/^val: /m);
      expect(issues).toMatch(/time: not a valid time/);
    }
    expect(metricSchema.safeParse({ id: 1, val: Number.NaN, time: 0 }).success).toBe(false);
    const big = metricSchema.safeParse({ id: 2 ** 53 + 2, val: 1, time: 0 });
    expect(big.success).toBe(false);
    if (!big.success) expect(formatIssues(big.error).join()).toMatch(/beyond 2\^53/);
    expect(metricSchema.safeParse({ id: 1, val: 1, time: 1e29 }).success).toBe(false);
    const long = metricSchema.safeParse({ id: 1, val: 1, time: 'x'.repeat(100_000) });
    expect(long.success).toBe(false);
    if (!long.success) expect(formatIssues(long.error).join().length).toBeLessThan(200);
    expect(workorderSchema.safeParse({ time: 0, product: '', production: 1 }).success).toBe(false);
  });
});

describe('machine-data field limits', () => {
  it('refuses a string id longer than 256 characters, keeps one of 256', () => {
    expect(metricSchema.safeParse({ id: 'x'.repeat(256), val: 1, time: 1624377478 }).success).toBe(true);
    const long = metricSchema.safeParse({ id: 'x'.repeat(257), val: 1, time: 1624377478 });
    expect(long.success).toBe(false);
    if (!long.success) expect(formatIssues(long.error).join()).toMatch(/id: a string id has at most 256 characters/);
    expect(workorderSchema.safeParse({ time: 1624377478, product: 'p'.repeat(15_000_000), production: 1 }).success).toBe(false);
  });

  it('takes times from 1970-01-01 to before 2100-01-01, in every unit', () => {
    for (const time of [0, '1970-01-01T00:00:00Z', 4102444799, '2099-12-31T23:59:59.999Z', Date.UTC(2099, 11, 31)]) {
      expect(metricSchema.safeParse({ id: 1, val: 1, time }).success, String(time)).toBe(true);
    }
    for (const time of [-1, '-1', '1969-12-31T23:59:59Z', 4102444800, '2100-01-01T00:00:00Z', Date.UTC(2100, 0, 1)]) {
      const result = metricSchema.safeParse({ id: 1, val: 1, time });
      expect(result.success, String(time)).toBe(false);
      if (!result.success) expect(formatIssues(result.error).join(), String(time)).toMatch(/time: time out of range: .* 1970-01-01 to before 2100-01-01/);
    }
  });
});

describe('the fast path of the machine-data schemas', () => {
  const ids: unknown[] = [0, 7, -3, 1.5, 2 ** 53 - 1, 2 ** 53 + 2, Number.NaN, Infinity, '', 'p-7', '7', 'x'.repeat(256), 'x'.repeat(257), null, undefined, true, [1], { a: 1 }];
  const numbers: unknown[] = [0, -1.25, 1e300, Number.NaN, -Infinity, '5', null, undefined];
  const times: unknown[] = [
    '2021-06-22T00:00:03.000Z', '2021-06-22 00:00:03', '2021-06-22T00:00:03+02:00', ' 1624377478 ', '1624377478000', '-5', '1.5',
    1624377478, 1624377478123, 0, -1, 4102444800000, 4102444799999, 1e29, Number.NaN, '', ' ', 'not a time', '2100-01-01T00:00:00Z', null, [0], {},
  ];
  const same = (schema: typeof metricSchema | typeof workorderSchema, plain: typeof plainMetricSchema | typeof plainWorkorderSchema, value: unknown) => {
    const fast = schema.safeParse(value);
    const slow = plain.safeParse(value);
    expect(fast.success, JSON.stringify(value)).toBe(slow.success);
    if (fast.success && slow.success) expect(JSON.stringify(fast.data)).toBe(JSON.stringify(slow.data));
    else expect(fast.error?.issues).toEqual(slow.error?.issues);
  };

  it('gives exactly zod’s result for every combination of valid and invalid fields', () => {
    let cases = 0;
    for (const id of ids) for (const val of numbers) for (const time of times) {
      same(metricSchema, plainMetricSchema, { id, val, time });
      same(workorderSchema, plainWorkorderSchema, { product: id, production: val, time });
      cases++;
    }
    expect(cases).toBe(ids.length * numbers.length * times.length);
  });

  it('strips unknown keys as zod does and leaves odd containers to zod', () => {
    same(metricSchema, plainMetricSchema, { id: 1, val: 2, time: 1624377478, extra: 'x' });
    same(metricSchema, plainMetricSchema, Object.assign(Object.create(null), { id: 1, val: 2, time: 1624377478 }));
    for (const odd of [null, undefined, 5, 'x', [1, 2, 3], new Date(0), new Map()]) same(metricSchema, plainMetricSchema, odd);
    class Sample {
      id = 1;
      val = 2;
      time = 1624377478;
    }
    same(metricSchema, plainMetricSchema, new Sample());
  });
});
