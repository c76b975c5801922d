import { describe, expect, it } from 'vitest';
import { ackRun, groupLag, recordRun, rewindTo, type PartitionLedger } from './offsets.js';

/** A ledger with runs 0..9 (delivery 1), 10..19 (2), 20..29 (3). */
function threeRuns(): PartitionLedger {
  let ledger: PartitionLedger = [];
  ledger = recordRun(ledger, 1, 0n, 9n);
  ledger = recordRun(ledger, 2, 10n, 19n);
  return recordRun(ledger, 3, 20n, 29n);
}

describe('offset ledger', () => {
  it('commits one past a run acked in order', () => {
    const { ledger, commit } = ackRun(threeRuns(), 1);
    expect(commit).toBe(10n);
    expect(ledger.map((entry) => entry.id)).toEqual([2, 3]);
  });

  it('acks out of order commit only the contiguous prefix', () => {
    let ledger = threeRuns();
    let outcome = ackRun(ledger, 3);
    expect(outcome.commit, 'the last run acked first').toBeUndefined();
    ledger = outcome.ledger;
    outcome = ackRun(ledger, 2);
    expect(outcome.commit, 'the first run is still unacked').toBeUndefined();
    ledger = outcome.ledger;
    outcome = ackRun(ledger, 1);
    expect(outcome.commit, 'all three acked').toBe(30n);
    expect(outcome.ledger).toEqual([]);
  });

  it('commits up to the first gap when the runs before it are acked', () => {
    let ledger = ackRun(threeRuns(), 3).ledger;
    const outcome = ackRun(ledger, 1);
    expect(outcome.commit).toBe(10n);
    ledger = outcome.ledger;
    expect(ackRun(ledger, 2).commit).toBe(30n);
  });

  it('follows fetch order, not offset continuity: gaps between runs (compaction) do not block', () => {
    let ledger = recordRun([], 1, 0n, 4n);
    ledger = recordRun(ledger, 2, 9n, 12n);
    ledger = ackRun(ledger, 1).ledger;
    expect(ackRun(ledger, 2).commit).toBe(13n);
  });

  it('ignores a repeated ack and an unknown id', () => {
    const once = ackRun(threeRuns(), 2);
    expect(ackRun(once.ledger, 2).commit).toBeUndefined();
    expect(ackRun(once.ledger, 99)).toEqual({ ledger: once.ledger, commit: undefined });
  });

  it('refuses a run that does not follow the last one', () => {
    expect(() => recordRun(threeRuns(), 4, 25n, 40n)).toThrow(RangeError);
    expect(() => recordRun([], 1, 5n, 4n)).toThrow(RangeError);
  });

  it('rewinding forgets the runs at and after the offset; acking them later commits nothing', () => {
    const { ledger, dropped } = rewindTo(threeRuns(), 10n);
    expect(dropped).toEqual([2, 3]);
    expect(ackRun(ledger, 3).commit).toBeUndefined();
    expect(ackRun(ledger, 1).commit).toBe(10n);
    const again = recordRun(ledger, 4, 10n, 15n);
    expect(again.map((entry) => entry.id)).toEqual([1, 4]);
  });
});

describe('group lag', () => {
  const watermarks = [
    { partition: 0, low: '0', high: '10' },
    { partition: 1, low: '5', high: '8' },
    { partition: 2, low: '0', high: '0' },
  ];

  it('is high minus committed, summed over partitions', () => {
    expect(groupLag(watermarks, [
      { partition: 0, offset: '4' },
      { partition: 1, offset: '8' },
      { partition: 2, offset: '0' },
    ])).toBe(6);
  });

  it('counts from the oldest retained record where the group has committed nothing', () => {
    expect(groupLag(watermarks, [
      { partition: 0, offset: '-1' },
      { partition: 2, offset: '-1' },
    ])).toBe(13);
  });

  it('never goes below 0 for a partition whose retention passed the commit', () => {
    expect(groupLag([{ partition: 0, low: '50', high: '50' }], [{ partition: 0, offset: '60' }])).toBe(0);
  });
});
