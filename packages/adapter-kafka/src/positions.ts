/**
 * Positions of envelopes within a partition. Pure: no I/O.
 *
 * A Kafka record holds one envelope, or many when packed (see packed.ts). An envelope's position is
 * `offset × 2^32 + slot`, where the `count` envelopes of a record take the slots
 * `2^32 − count … 2^32 − 1`: positions grow in read order, and one past a record's last envelope is
 * the first position of the next record. So the Kafka offset to commit after the envelopes up to
 * position `p` is `(p + 1) >> 32`: the next record when `p` ends its record, else the record itself
 * (read again, its envelopes already stored are delivered again — at-least-once).
 */

const SLOT_BITS = 32n;
/** Slots per record: the most envelopes one record may hold. */
export const SLOTS = 2 ** 32;

/** Slot of the `index`-th of `count` envelopes of one record. */
export function slotOf(index: number, count: number): number {
  return SLOTS - count + index;
}

/** Position of the envelope in `slot` of the record at `offset`. */
export function positionOf(offset: bigint, slot: number): bigint {
  return (offset << SLOT_BITS) + BigInt(slot);
}

/** Position of the first slot a record at `offset` can have (every envelope of it lies at or past it). */
export function recordStart(offset: bigint): bigint {
  return offset << SLOT_BITS;
}

/** Kafka offset of the record holding `position`. */
export function offsetOf(position: bigint): bigint {
  return position >> SLOT_BITS;
}
