/**
 * Splits flat samples into one time series per id: typed arrays, sorted by time once, exact
 * duplicates (same time) dropped keeping the last one in input order. Linear in the input when it
 * is already in time order (the usual case), one stable sort per id otherwise.
 */
import { ConfigError } from '../errors.js';
import { compareIds, isMachineDataId } from './ids.js';
import { sortedOrder } from './sort.js';
import type { MachineDataId } from './types.js';

/** One id's samples, strictly increasing in time. */
export interface TimeSeries {
  id: MachineDataId;
  time: Float64Array;
  value: Float64Array;
  /** Samples dropped because a later sample has the same time. */
  duplicates: number;
  /** Samples ignored because time or value is not a finite number. */
  invalid: number;
}

/** Flat samples as parallel columns. */
export interface SampleColumns {
  readonly id: ArrayLike<unknown>;
  readonly time: ArrayLike<unknown>;
  readonly value: ArrayLike<unknown>;
}

/** The series by id (ordered by `compareIds`) and the count of samples without a usable id. */
export interface GroupedSeries {
  series: TimeSeries[];
  unidentified: number;
}

const SMALL = 4096;
export const isFiniteNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** Groups samples by id, sorts each series by time and removes same-time duplicates. */
export function groupSeries(columns: SampleColumns): GroupedSeries {
  const n = columns.id.length;
  if (columns.time.length !== n || columns.value.length !== n) {
    throw new ConfigError(
      `sample columns differ in length (id ${n}, time ${columns.time.length}, value ${columns.value.length}); pass one entry per sample in each column`,
      'columns',
    );
  }
  const groupIndex = new Map<MachineDataId, number>();
  const ids: MachineDataId[] = [];
  const groupOf = new Int32Array(n);
  const counts: number[] = [];
  const invalid: number[] = [];
  let unidentified = 0;
  let lastId: unknown;
  let lastGroup = -1;
  const small = new Int32Array(SMALL); // group + 1 of integer ids below SMALL, 0 = not seen yet
  for (let i = 0; i < n; i++) {
    const id = columns.id[i];
    let g: number;
    if (id === lastId && lastGroup >= 0) g = lastGroup;
    else if (typeof id === 'number' && id >= 0 && id < SMALL && small[id]! > 0) g = small[id]! - 1; // small integer ids: no hashing
    else if (!isMachineDataId(id)) {
      groupOf[i] = -1;
      unidentified++;
      continue;
    } else {
      const known = groupIndex.get(id);
      if (known === undefined) {
        g = ids.length;
        groupIndex.set(id, g);
        if (typeof id === 'number' && Number.isInteger(id) && id >= 0 && id < SMALL) small[id] = g + 1;
        ids.push(id);
        counts.push(0);
        invalid.push(0);
      } else g = known;
      lastId = id;
      lastGroup = g;
    }
    if (!isFiniteNumber(columns.time[i]) || !isFiniteNumber(columns.value[i])) {
      groupOf[i] = -1;
      invalid[g]!++;
      continue;
    }
    groupOf[i] = g;
    counts[g]!++;
  }
  // Scatter into one buffer, a segment per group, keeping input order within a group.
  const offsets = new Float64Array(ids.length + 1);
  for (let g = 0; g < ids.length; g++) offsets[g + 1] = offsets[g]! + counts[g]!;
  const fill = Float64Array.from(offsets.subarray(0, ids.length));
  const total = offsets[ids.length]!;
  const time = new Float64Array(total);
  const value = new Float64Array(total);
  for (let i = 0; i < n; i++) {
    const g = groupOf[i]!;
    if (g < 0) continue;
    const at = fill[g]!++;
    time[at] = columns.time[i] as number;
    value[at] = columns.value[i] as number;
  }
  const series = ids.map((id, g) => seriesOf(id, time.subarray(offsets[g]!, offsets[g + 1]!), value.subarray(offsets[g]!, offsets[g + 1]!), invalid[g]!));
  series.sort((a, b) => compareIds(a.id, b.id));
  return { series, unidentified };
}

/**
 * One id's valid samples (finite times and values, in input order) as a series: sorted by time and
 * without same-time duplicates, in place (the series views the given arrays). `invalid` is the count
 * of samples the caller left out for a non-finite time or value.
 */
export function seriesOf(id: MachineDataId, time: Float64Array, value: Float64Array, invalid: number): TimeSeries {
  const { kept, duplicates } = sortAndDedupe(time, value);
  return { id, time: time.subarray(0, kept), value: value.subarray(0, kept), duplicates, invalid };
}

/**
 * Sorts one segment by time in place (stable) and compacts it so times are strictly increasing,
 * keeping the last sample of equal times. Returns how many samples remain.
 */
function sortAndDedupe(time: Float64Array, value: Float64Array): { kept: number; duplicates: number } {
  const n = time.length;
  let sorted = true;
  for (let i = 1; i < n; i++) {
    if (time[i]! < time[i - 1]!) {
      sorted = false;
      break;
    }
  }
  if (!sorted) {
    const order = sortedOrder(time);
    const v = Float64Array.from(value);
    time.set(order.sorted);
    for (let i = 0; i < n; i++) value[i] = v[order.index[i]!]!;
  }
  let kept = 0;
  for (let i = 0; i < n; i++) {
    if (i + 1 < n && time[i + 1] === time[i]) continue; // a later sample has the same time: it wins
    time[kept] = time[i]!;
    value[kept] = value[i]!;
    kept++;
  }
  return { kept, duplicates: n - kept };
}
