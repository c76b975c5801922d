import { lastValueFrom, take, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.js';
import { collectRecords, sourceContract } from '../testkit/source-contract.js';
import { generatorSource } from './generator-source.js';

describe('generatorSource: source contract', () => {
  sourceContract(it, {
    create: async (records, hints = {}) =>
      generatorSource({ name: 'sample', count: records.length, make: (index) => records[index]!, ...hints }),
  });
});

describe('generatorSource', () => {
  it('is endless without a count, and resumes at index + 1', async () => {
    const source = generatorSource({ name: 'squares', make: (index) => index * index, chunkSize: 7 });
    const items = await lastValueFrom(source.read({ index: 99 }).pipe(take(20), toArray()));
    expect(items.map((item) => item.kind === 'record' && item.value)).toEqual(Array.from({ length: 20 }, (_, k) => (100 + k) ** 2));
    expect(items[0]!.position).toEqual({ index: 100 });
  });

  it('turns a throwing make into a reject for that index and goes on', async () => {
    const source = generatorSource({ name: 'flaky', count: 4, make: (index) => { if (index === 2) throw new Error('no 2'); return index; } });
    const items = await collectRecords(source.read());
    expect(items.map((item) => (item.kind === 'record' ? item.value : item.reason))).toEqual([0, 1, expect.stringMatching(/make\(2\) threw: no 2/), 3]);
  });

  it('refuses a negative or fractional count', () => {
    expect(() => generatorSource({ name: 'x', count: -1, make: () => 1 })).toThrow(ConfigError);
    expect(() => generatorSource({ name: 'x', count: 1.5, make: () => 1 })).toThrow(ConfigError);
  });
});
