import { describe, expect, it } from 'vitest';
import { recordFactory } from './record-factory.js';

describe('recordFactory', () => {
  it('makes objects with the header keys in order, from a reused cells array', () => {
    const make = recordFactory<string | number>(['b', 'a', 'with space', 'quote"d', "it's", 'new\nline', '1']);
    const cells: (string | number)[] = ['x', 1, 'y', 'z', 'w', 'v', 'u'];
    const first = make(cells);
    cells[0] = 'changed';
    expect(first).toEqual({ b: 'x', a: 1, 'with space': 'y', 'quote"d': 'z', "it's": 'w', 'new\nline': 'v', '1': 'u' });
    expect(Object.keys(make(cells))).toEqual(Object.keys(first));
    expect(make(cells).b).toBe('changed');
  });

  it('keeps keys that look like code as plain keys', () => {
    const make = recordFactory<number>(['}); throw new Error("x"); ({', 'constructor', 'toString']);
    expect(make([1, 2, 3])).toEqual({ '}); throw new Error("x"); ({': 1, constructor: 2, toString: 3 });
  });
});
