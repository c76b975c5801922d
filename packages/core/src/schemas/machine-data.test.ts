import { describe, expect, it } from 'vitest';
import { formatIssues } from './validate.js';
import { metricKey, metricSchema, workorderSchema } from './machine-data.js';

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
