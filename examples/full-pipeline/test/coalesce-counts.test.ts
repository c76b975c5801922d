import { describe, expect, it } from 'vitest';
import type { StatusEvent } from '@sluice/core';
import { coalesceCounts } from '../src/server/coalesce-counts.js';

const read = (pipeline: string, count: number, total: number, at: number): StatusEvent => ({ type: 'read', pipeline, at, count, total, position: { index: total - 1 } });

describe('coalesceCounts', () => {
  it('sends one count event per pipeline and type per interval, with summed counts and the latest total', () => {
    let now = 0;
    const sent: StatusEvent[] = [];
    const c = coalesceCounts((e) => sent.push(e), 100, () => now);
    for (let i = 1; i <= 10; i++) {
      now = i * 5;
      c.push(read('a', 10, i * 10, now));
      c.push({ type: 'persisted', pipeline: 'a', at: now, count: 3, total: i * 3 });
    }
    expect(sent).toEqual([]); // 50 ms: still held
    now = 120;
    c.push(read('a', 10, 110, now));
    expect(sent).toEqual([
      { ...read('a', 110, 110, 120) },
      { type: 'persisted', pipeline: 'a', at: 50, count: 30, total: 30 },
    ]);
  });

  it('sends other events at once, after the counts they follow, and flushes what is held at the end', () => {
    const sent: StatusEvent[] = [];
    const c = coalesceCounts((e) => sent.push(e), 1000, () => 0);
    c.push(read('a', 5, 5, 1));
    c.push(read('b', 7, 7, 2));
    c.push({ type: 'retry', pipeline: 'a', at: 3, operation: 'publish', attempt: 1, delayMs: 10, error: 'x' });
    c.push(read('a', 5, 10, 4));
    expect(sent.map((e) => `${e.type}:${e.pipeline}`)).toEqual(['read:a', 'read:b', 'retry:a']);
    c.flush();
    expect(sent.at(-1)).toEqual(read('a', 5, 10, 4));
    const counted = sent.filter((e): e is Extract<StatusEvent, { type: 'read' }> => e.type === 'read' && e.pipeline === 'a');
    expect(counted.reduce((sum, e) => sum + e.count, 0)).toBe(10);
  });
});
