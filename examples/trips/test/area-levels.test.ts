/**
 * The coarse levels of the area rollup: parents computed in SQL equal h3-js's, and the ranges of
 * inside cells hold exactly the rollup cells of their descendants at the chosen level.
 */
import { cellToChildren, cellToLatLng, cellToParent, getResolution, gridDisk, latLngToCell } from 'h3-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSeededRandom, type Store } from '@sluice/core';
import { openStore } from '@sluice/runtime';
import { areaLevelsOf, coarseLevels, parentSql, resolutionSql, rollupRanges } from '../src/area-levels.js';
import { coverBox, descendantRange } from '../src/cover.js';
import { DEFAULT_SETTINGS } from '../src/trip.js';

const decimal = (hex: string) => BigInt(`0x${hex}`).toString();
const descendantRangeText = (cell: string, res: number): [string, string] => descendantRange(cell, res).map(String) as [string, string];
const within = (cell: string, ranges: [string, string][]) => ranges.some(([lo, hi]) => BigInt(lo) <= BigInt(decimal(cell)) && BigInt(decimal(cell)) <= BigInt(hi));

describe('coarse area levels', () => {
  let store: Store;
  beforeAll(async () => {
    store = await openStore('sqlite::memory:');
  });
  afterAll(() => store.close());

  it('keeps the levels asked for, one resolution up after another, never below 0', () => {
    expect(coarseLevels(8, 3)).toEqual([7, 6, 5]);
    expect(coarseLevels(8, 1)).toEqual([7]);
    expect(coarseLevels(8, 0)).toEqual([]);
    expect(coarseLevels(2, 3)).toEqual([1, 0]);
  });

  it("keeps the stored cells' level, the grouping resolution and its coarse levels, finest first, once each", () => {
    expect(areaLevelsOf({ ...DEFAULT_SETTINGS })).toEqual([8]);
    expect(areaLevelsOf({ ...DEFAULT_SETTINGS, areaLevels: 2 })).toEqual([8, 7, 6]);
    expect(areaLevelsOf({ ...DEFAULT_SETTINGS, areaResolution: 10, areaLevels: 1 })).toEqual([10, 8, 7]);
  });

  it("covers a split boundary cell's stored descendants: parts inside or on the edge at the stored cells' level, the rest left out", () => {
    const box = { minLon: 14.41, minLat: 50.07, maxLon: 14.44, maxLat: 50.09 };
    const coarse = coverBox(box, 10, 8);
    expect(coarse.boundary.length).toBeGreaterThan(0);
    expect(coarse.boundary.every((cell) => getResolution(BigInt(cell).toString(16)) === 8)).toBe(true);
    let checked = 0;
    for (const decimalCell of coarse.boundary) {
      const hex = BigInt(decimalCell).toString(16);
      const parts = coverBox(box, 10, 10, [hex]);
      expect(parts.boundary.every((cell) => getResolution(BigInt(cell).toString(16)) === 10)).toBe(true);
      // Every stored cell under the split cell whose centre is in the box is in an inside part or a boundary part.
      const boundary = new Set(parts.boundary);
      for (const child of cellToChildren(hex, 10)) {
        const covered = boundary.has(decimal(child)) || parts.insideCells.some((cell) => within(child, [descendantRangeText(cell, 10)]));
        const centre = cellToLatLng(child);
        const inBox = box.minLat <= centre[0] && centre[0] <= box.maxLat && box.minLon <= centre[1] && centre[1] <= box.maxLon;
        if (inBox) expect(covered).toBe(true);
        if (inBox) checked++;
        // A part wholly inside holds no stored cell whose centre is outside.
        if (!inBox) expect(parts.insideCells.some((cell) => within(child, [descendantRangeText(cell, 10)]))).toBe(false);
      }
    }
    expect(checked).toBeGreaterThan(100);
  });

  it('computes in SQL the parent h3-js computes, at every coarser level, all over the globe', async () => {
    const random = createSeededRandom(3);
    for (let i = 0; i < 200; i++) {
      const res = 1 + random.int(15);
      const cell = latLngToCell(random.next() * 180 - 90, random.next() * 360 - 180, res);
      const level = random.int(res);
      const [row] = await store.query<{ parent: number | string | bigint; res: number | string | bigint }>(
        `SELECT CAST(${parentSql(decimal(cell), level)} AS TEXT) AS parent, ${resolutionSql(decimal(cell))} AS res`,
      );
      expect(String(row!.parent)).toBe(decimal(cellToParent(cell, level)));
      expect(Number(row!.res)).toBe(res);
    }
  });

  it('reads an inside cell at the coarsest kept level not coarser than itself, and holds exactly its descendants there', () => {
    const cell = latLngToCell(50.08, 14.42, 5);
    const neighbours = gridDisk(cell, 1).filter((c) => c !== cell);
    const ranges = rollupRanges([cell], [8, 6, 4]);
    expect(ranges).toHaveLength(1);
    expect(getResolution(BigInt(ranges[0]![0]).toString(16))).toBe(6);
    for (const child of cellToChildren(cell, 6)) expect(within(child, ranges)).toBe(true);
    for (const other of neighbours.flatMap((n) => cellToChildren(n, 6))) expect(within(other, ranges)).toBe(false);
    // Nothing at another resolution falls in a range of one level.
    for (const child of [...cellToChildren(cell, 7), cell, cellToParent(cell, 4)]) expect(within(child, ranges)).toBe(false);
    // A cell at a kept level is read at that level; without coarse levels, at the stored one.
    expect(getResolution(BigInt(rollupRanges([cell], [8])[0]![0]).toString(16))).toBe(8);
  });

  it('merges the ranges of siblings into one, and keeps apart ranges that do not touch', () => {
    const parent = latLngToCell(45.07, 7.68, 4);
    const children = cellToChildren(parent, 5);
    expect(rollupRanges(children, [8, 6, 4])).toHaveLength(1);
    const apart = rollupRanges([children[0]!, children[2]!], [8, 6, 4]);
    expect(apart).toHaveLength(2);
    for (const child of cellToChildren(children[1]!, 6)) expect(within(child, apart)).toBe(false);
  });
});
