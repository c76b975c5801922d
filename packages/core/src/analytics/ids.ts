/** Ordering and display of parameter and product ids (numbers and strings, kept as given). */
import type { MachineDataId } from './types.js';

/**
 * Total, locale-independent order of ids: numbers first by value, then strings by UTF-16 code
 * units. Used for every tie-break, so results do not depend on input order or locale.
 */
export function compareIds(a: MachineDataId, b: MachineDataId): number {
  if (typeof a === 'number') return typeof b === 'number' ? a - b : -1;
  if (typeof b === 'number') return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Whether a value can serve as an id: a finite number or a non-empty string. */
export function isMachineDataId(value: unknown): value is MachineDataId {
  return (typeof value === 'number' && Number.isFinite(value)) || (typeof value === 'string' && value.length > 0);
}
