import { describe, expect, it } from 'vitest';
import { ackRun, recordRun, type PartitionLedger } from './offsets.js';
import { offsetOf, positionOf, recordStart, slotOf } from './positions.js';

describe('kafka envelope positions', () => {
  it('grow in read order across and within records', () => {
    const positions = [positionOf(5n, slotOf(0, 1)), positionOf(6n, slotOf(0, 3)), positionOf(6n, slotOf(1, 3)), positionOf(6n, slotOf(2, 3)), positionOf(7n, slotOf(0, 1))];
    for (let i = 1; i < positions.length; i++) expect(positions[i]! > positions[i - 1]!).toBe(true);
    expect(positions.map(offsetOf)).toEqual([5n, 6n, 6n, 6n, 7n]);
    expect(recordStart(6n) <= positions[1]!).toBe(true);
  });

  it('commit the next record after a record is done, and the record itself while part of it is not', () => {
    // One packed record at offset 6 with 3 envelopes, handed out in two deliveries.
    let ledger: PartitionLedger = [];
    ledger = recordRun(ledger, 1, positionOf(6n, slotOf(0, 3)), positionOf(6n, slotOf(1, 3)));
    ledger = recordRun(ledger, 2, positionOf(6n, slotOf(2, 3)), positionOf(7n, slotOf(0, 1)));
    const first = ackRun(ledger, 1);
    expect(offsetOf(first.commit!)).toBe(6n); // record 6 is read again after a crash: at-least-once
    const second = ackRun(first.ledger, 2);
    expect(offsetOf(second.commit!)).toBe(8n);
    // An unpacked record (one envelope) commits one past itself, as before.
    expect(offsetOf(ackRun(recordRun([], 3, positionOf(9n, slotOf(0, 1)), positionOf(9n, slotOf(0, 1))), 3).commit!)).toBe(10n);
  });
});
