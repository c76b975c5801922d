import { describe, expect, it } from 'vitest';
import { FlowGate } from './flow-gate.js';

describe('FlowGate', () => {
  it('is open below the high-water mark and blocks at it until released', async () => {
    const gate = new FlowGate(3);
    expect(gate.ready()).toBeUndefined();
    gate.take(3);
    const waiting = gate.ready();
    expect(waiting).toBeInstanceOf(Promise);
    let opened = false;
    void waiting!.then(() => (opened = true));
    await Promise.resolve();
    expect(opened).toBe(false);
    gate.release(1);
    await waiting;
    expect(opened).toBe(true);
    expect(gate.pending).toBe(2);
  });
});
