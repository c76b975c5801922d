/**
 * Coarser levels of the area rollup (`--area-levels N`, PostgreSQL). `area_weeks` then also counts
 * trips by the H3 parents of their cells one to N resolutions up, so that a box's inside part is
 * summed from coarse rows where the box holds whole coarse cells (a city box holds about 300 cells at
 * resolution 8, 60 at 7 and 5 at 6: 47,000 rows of 10M trips at resolution 8 alone, 16,000 with
 * three levels). The price is paid by every batch: one more upsert per level and side.
 * Parent cells are distinct H3 indexes (the resolution is part of the index), so they share the table
 * and its key with the stored cells, and a range of indexes at one resolution holds no other.
 *
 * A finer level (`--area-resolution R`, PostgreSQL): trips store their cells at R, finer than the
 * grouping resolution, and `area_weeks` counts them at R as well as at the grouping resolution (the
 * groups take the parents). A boundary cell that holds many trips is then split (where
 * split-cost.ts estimates that cheaper than reading it), and only a strip of R cells along the
 * box's edge (about 66 m wide at R = 10 against 460 m at 8) is read row by row, so a small box's
 * answer stops growing with the data. The price: one more upsert per side and batch.
 */
import { getResolution } from 'h3-js';
import { descendantRange } from './cover.js';
import type { TripSettings } from './trip.js';

/**
 * The levels a store's `area_weeks` holds, finest first: the resolution of the stored cells
 * (`areaResolution`), the grouping resolution if that is coarser, then its coarse levels.
 */
export function areaLevelsOf(settings: TripSettings): number[] {
  const levels = [settings.areaResolution, settings.resolution, ...coarseLevels(settings.resolution, settings.areaLevels)];
  return [...new Set(levels)];
}

/** SQL for the cell at `level` of a stored cell in `column`: the column itself at the stored resolution, else its parent. */
export function cellAtSql(column: string, level: number, settings: TripSettings): string {
  return level === settings.areaResolution ? column : parentSql(column, level);
}

/** The `count` coarse levels kept for cells of `resolution`, finest first, none below 0. */
export function coarseLevels(resolution: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => resolution - 1 - i).filter((level) => level >= 0);
}

const RES_SHIFT = 52n;

/**
 * SQL for the H3 parent at `level` of the cell in `column` (a bigint of a finer cell): the
 * resolution field set to `level` and every digit below it set to 7, as `cellToParent` does. Plain
 * integer arithmetic, the same in PostgreSQL and SQLite.
 */
export function parentSql(column: string, level: number): string {
  const lowDigits = (1n << BigInt(3 * (15 - level))) - 1n;
  const keep = BigInt.asIntN(64, ~((0xfn << RES_SHIFT) | lowDigits));
  const set = (BigInt(level) << RES_SHIFT) | lowDigits;
  return `((${column} & ${keep}) | ${set})`;
}

/** SQL for the resolution of the cell in `column`. */
export function resolutionSql(column: string): string {
  return `((${column} >> ${RES_SHIFT}) & 15)`;
}

/**
 * The rollup index ranges of cells wholly inside a box (hex, any resolution up to the stored one):
 * each cell is read at the coarsest kept level that is not coarser than itself, and ranges that
 * touch are merged. `levels` holds the stored resolution and the coarse levels.
 */
export function rollupRanges(insideCells: readonly string[], levels: readonly number[]): [string, string][] {
  const sorted = [...levels].sort((a, b) => a - b);
  const ranges = insideCells.map((cell) => {
    const res = getResolution(cell);
    const level = sorted.find((l) => l >= res) ?? res;
    const [lo, hi] = descendantRange(cell, level);
    return { lo, hi, step: 1n << BigInt(3 * (15 - level)) };
  });
  ranges.sort((a, b) => (a.lo < b.lo ? -1 : a.lo > b.lo ? 1 : 0));
  const merged: { lo: bigint; hi: bigint; step: bigint }[] = [];
  for (const range of ranges) {
    const last = merged[merged.length - 1];
    // Siblings' ranges at one level are adjacent: the next index after `hi` at that level is `lo`.
    if (last && last.step === range.step && last.hi + last.step === range.lo) last.hi = range.hi;
    else merged.push({ ...range });
  }
  return merged.map((r) => [r.lo.toString(), r.hi.toString()]);
}
