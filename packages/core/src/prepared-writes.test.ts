import { describe, expect, it } from 'vitest';
import { PreparedWrites } from './prepared-writes.js';
import type { WriteBatch } from './types.js';

describe('PreparedWrites', () => {
  const batch = (): WriteBatch => ({ table: 't', rows: [] });

  it('hands the prepared work to the next take of the same batch and table, once', () => {
    const ahead = new PreparedWrites<string, number>();
    const b = batch();
    ahead.prepare(b, 'compiled-1', () => 42);
    expect(ahead.take(batch(), 'compiled-1')).toBeUndefined();
    expect(ahead.take(b, 'compiled-1')).toBe(42);
    expect(ahead.take(b, 'compiled-1')).toBeUndefined();
  });

  it('drops work done against a table that is no longer current', () => {
    const ahead = new PreparedWrites<string, number>();
    const b = batch();
    ahead.prepare(b, 'compiled-1', () => 1);
    expect(ahead.take(b, 'compiled-2')).toBeUndefined();
    expect(ahead.take(b, 'compiled-1')).toBeUndefined();
  });

  it('keeps nothing when the work throws, and never throws itself', () => {
    const ahead = new PreparedWrites<string, number>();
    const b = batch();
    ahead.prepare(b, 'compiled-1', () => 1);
    expect(() =>
      ahead.prepare(b, 'compiled-1', () => {
        throw new Error('bad row');
      }),
    ).not.toThrow();
    expect(ahead.take(b, 'compiled-1')).toBeUndefined();
    expect(() => ahead.prepare(null as unknown as WriteBatch, 'compiled-1', () => 1)).not.toThrow();
  });
});
