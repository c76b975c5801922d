import { describe, expect, it } from 'vitest';
import { ConfigError, IdentifierError } from './errors.js';
import { assertTableSpec, dedupeByKey, quoteIdentifier } from './sql.js';

describe('SQL identifiers', () => {
  it('quotes plain identifiers and refuses anything that could carry SQL', () => {
    expect(quoteIdentifier('metrics_2024')).toBe('"metrics_2024"');
    for (const bad of ['x"; DROP TABLE y; --', 'a b', '1abc', '', 'é', 'a'.repeat(64)]) {
      expect(() => quoteIdentifier(bad)).toThrow(IdentifierError);
    }
  });

  it('checks table specs: key columns must exist, names must be unique', () => {
    const columns = [{ name: 'id', type: 'text' as const }];
    expect(() => assertTableSpec({ name: 't', columns, key: ['id'] })).not.toThrow();
    expect(() => assertTableSpec({ name: 't', columns, key: ['nope'] })).toThrow(ConfigError);
    expect(() => assertTableSpec({ name: 't', columns, key: [] })).toThrow(/natural key/);
    expect(() => assertTableSpec({ name: 't', columns: [...columns, ...columns], key: ['id'] })).toThrow(/twice/);
  });
});

describe('dedupeByKey', () => {
  it('keeps the last row of each key', () => {
    const rows = [
      { id: 1, t: 1, v: 'a' },
      { id: 2, t: 1, v: 'b' },
      { id: 1, t: 1, v: 'c' },
      { id: 1, t: 2, v: 'd' },
    ];
    expect(dedupeByKey(rows, ['id', 't'])).toEqual([
      { id: 2, t: 1, v: 'b' },
      { id: 1, t: 1, v: 'c' },
      { id: 1, t: 2, v: 'd' },
    ]);
  });
});
