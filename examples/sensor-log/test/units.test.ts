/** Pure pieces of the loader: how files are cut into units (transactions) and what a unit checkpoints. */
import { describe, expect, it } from 'vitest';
import { units } from '../src/load.js';
import { unitCheckpoints, type FileState } from '../src/load-file.js';
import { unitFilesFor } from '../src/workers.js';

describe('units', () => {
  it('starts small (1, 2, 4, …) and then takes at most the unit size, every file once, in order', () => {
    const files = Array.from({ length: 40 }, (_, i) => i);
    const cut = units(files, 8);
    expect(cut.map((u) => u.length)).toEqual([1, 2, 4, 8, 8, 8, 8, 1]);
    expect(cut.flat()).toEqual(files);
    expect(units(files, 1).every((u) => u.length === 1)).toBe(true);
    expect(units([], 8)).toEqual([]);
  });

  it('gives workers units small enough that every lane gets several', () => {
    expect(unitFilesFor(16, 4)).toBe(1);
    expect(unitFilesFor(200, 4)).toBe(8);
    expect(unitFilesFor(43_201, 4)).toBe(8);
    expect(unitFilesFor(3, 4)).toBe(1);
  });

  it("a unit's checkpoints: one per file, its state as the cursor and its rows as the index", () => {
    const state = (rows: number): FileState => ({ size: 100 + rows, mtimeMs: 1.5, rows, rejected: 0 });
    expect(unitCheckpoints(new Map([['a.parquet', state(3)]]))).toEqual([{ stream: 'sensor-log:a.parquet', position: { index: 3, cursor: JSON.stringify(state(3)) } }]);
    expect(unitCheckpoints(new Map([['a.parquet', state(3)], ['b.parquet', state(4)]]))).toEqual([
      { stream: 'sensor-log:a.parquet', position: { index: 3, cursor: JSON.stringify(state(3)) } },
      { stream: 'sensor-log:b.parquet', position: { index: 4, cursor: JSON.stringify(state(4)) } },
    ]);
  });
});
