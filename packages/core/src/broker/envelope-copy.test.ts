import { describe, expect, it } from 'vitest';
import { BrokerError } from '../errors.js';
import type { Envelope } from '../types.js';
import { copyEnvelopes, copyValue, takeEnvelopes } from './envelope-copy.js';

class Point {
  constructor(
    readonly x: number,
    readonly y: number,
  ) {}
}

/** Values of every kind a publisher may send; the copy must equal what `structuredClone` gives. */
const VALUES: Record<string, unknown> = {
  number: 1.5,
  string: 'text',
  null: null,
  bigint: 12n,
  undefined: undefined,
  'negative zero': -0,
  'flat record': { region: 'Prague', lon: 14.49737944381950, at: '2018-01-01 00:00:07', tags: undefined },
  nested: { a: { b: { c: [1, 2, { d: 'e' }] } }, list: [[1], [2, [3]]] },
  'null prototype': Object.assign(Object.create(null) as object, { k: 1 }),
  date: { at: new Date(1_700_000_000_000) },
  map: { m: new Map([['k', { v: 1 }]]), s: new Set([1, 2]) },
  'typed array': { bytes: new Uint8Array([1, 2, 3]) },
  'class instance': { p: new Point(1, 2) },
  'proto key': JSON.parse('{"__proto__": {"polluted": true}, "k": 1}') as unknown,
  'symbol key': { [Symbol('s')]: { n: 1 }, k: 1 },
  'sparse array': { list: [1, , 3] }, // a hole at index 1
  deep: Array.from({ length: 200 }).reduce<unknown>((inner) => ({ inner }), 'bottom'),
};

describe('copyValue', () => {
  for (const [name, value] of Object.entries(VALUES)) {
    it(`copies a ${name} value as structuredClone does`, () => {
      const copy = copyValue(value);
      expect(copy).toStrictEqual(structuredClone(value));
      if (typeof value === 'object' && value !== null) expect(copy).not.toBe(value);
    });
  }

  it('keeps an own "__proto__" key as data, never as the prototype of the copy', () => {
    const copy = copyValue(VALUES['proto key']) as Record<string, unknown>;
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect(Object.keys(copy)).toEqual(['__proto__', 'k']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('copies cycles and shared sub-objects through structuredClone, keeping their shape', () => {
    const shared = { n: 1 };
    const cyclic: Record<string, unknown> = { shared, again: shared };
    cyclic.self = cyclic;
    const copy = copyValue(cyclic) as typeof cyclic;
    expect(copy.self).toBe(copy);
    expect(copy.shared).toEqual({ n: 1 });
    expect(copy.shared).not.toBe(shared);
  });

  it('gives independent copies: changing the original afterwards changes nothing in the copy', () => {
    const original = { list: [1, { n: 1 }], at: new Date(0) };
    const copy = copyValue(original);
    (original.list[1] as { n: number }).n = 2;
    original.list.push(3);
    original.at.setTime(5);
    expect(copy).toEqual({ list: [1, { n: 1 }], at: new Date(0) });
  });

  it('throws for a function or a symbol, at any depth', () => {
    expect(() => copyValue({ a: [{ f: () => 1 }] })).toThrow();
    expect(() => copyValue({ s: Symbol('s') })).toThrow();
  });
});

describe('copyEnvelopes and takeEnvelopes', () => {
  const batch = (): Envelope<{ n: number }>[] => [
    { key: 'a', value: { n: 1 }, timestamp: 1, headers: { h: 'x' } },
    { key: 'b', value: { n: 2 }, timestamp: 2, headers: undefined as never },
  ];

  it('copyEnvelopes copies values and headers and fills in absent headers', () => {
    const original = batch();
    const copies = copyEnvelopes('t', original);
    expect(copies).toEqual([
      { key: 'a', value: { n: 1 }, timestamp: 1, headers: { h: 'x' } },
      { key: 'b', value: { n: 2 }, timestamp: 2, headers: {} },
    ]);
    expect(copies[0]!.value).not.toBe(original[0]!.value);
    expect(copies[0]!.headers).not.toBe(original[0]!.headers);
  });

  it('copyEnvelopes names the envelope whose value cannot be copied', () => {
    const bad = [...batch(), { key: 'fn', value: { n: 3, f: () => 1 }, timestamp: 3, headers: {} }];
    const error = (() => {
      try {
        return copyEnvelopes('t', bad);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(BrokerError);
    expect((error as Error).message).toMatch(/topic "t": the value of envelope 2 \(key "fn"\) cannot be copied/);
  });

  it('takeEnvelopes keeps the publisher\'s own values in new envelope objects', () => {
    const original = batch();
    const taken = takeEnvelopes(original);
    expect(taken[0]).not.toBe(original[0]);
    expect(taken[0]!.value).toBe(original[0]!.value);
    expect(taken[1]!.headers).toEqual({});
  });
});
