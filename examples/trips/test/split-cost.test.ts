import { describe, expect, it } from 'vitest';
import { mayBeWorthSplitting, monthsOfWeeks, readCost, splitCost, worthSplitting, type CellParts } from '../src/split-cost.js';
import { mondayOf } from '../src/weeks.js';

const year = { weeks: 52, months: 13 };
/** A cell of 49 parts crossed by one edge: a third inside in a few ranges, a fifth on the edge. */
const crossed: CellParts = { parts: 49, inside: 17, insideRanges: 5, edge: 10 };
/** A cell at a corner of the box: most parts on the edge or outside, one inside. */
const corner: CellParts = { parts: 49, inside: 1, insideRanges: 1, edge: 14 };

describe('split cost', () => {
  it('reads a sparse cell and splits a dense one', () => {
    expect(worthSplitting(500, crossed, year)).toBe(false);
    expect(worthSplitting(100_000, crossed, year)).toBe(true);
  });

  it('splits sooner where fewer of the trips lie in edge parts', () => {
    const outside: CellParts = { parts: 49, inside: 0, insideRanges: 0, edge: 3 };
    const mostlyEdge: CellParts = { parts: 49, inside: 5, insideRanges: 2, edge: 40 };
    const breakEven = (parts: CellParts) => {
      let trips = 1;
      while (!worthSplitting(trips, parts, year) && trips < 1e9) trips *= 1.1;
      return trips;
    };
    expect(breakEven(outside)).toBeLessThan(breakEven(crossed));
    expect(breakEven(crossed)).toBeLessThan(breakEven(mostlyEdge));
    // A cell all of whose parts are on the edge is never worth splitting: it reads every trip anyway.
    expect(breakEven({ parts: 49, inside: 0, insideRanges: 0, edge: 49 })).toBeGreaterThanOrEqual(1e9);
  });

  it('counts rollup rows up to one per week, and split cost grows with the span', () => {
    const short = { weeks: 4, months: 2 };
    expect(splitCost(10_000, corner, short)).toBeLessThan(splitCost(10_000, corner, year));
    // Fewer trips than weeks: a rollup row per trip at most.
    expect(splitCost(49, { parts: 49, inside: 49, insideRanges: 1, edge: 0 }, year)).toBeLessThan(splitCost(49 * 52, { parts: 49, inside: 49, insideRanges: 1, edge: 0 }, year));
  });

  it('skips the geometry of cells too small to be worth it', () => {
    expect(mayBeWorthSplitting(10)).toBe(false);
    expect(mayBeWorthSplitting(10_000)).toBe(true);
    // Rows cost 0.1 µs each: below 2,800 trips they cost less than the geometry and a rollup range.
    expect(mayBeWorthSplitting(2799)).toBe(false);
    expect(mayBeWorthSplitting(2801)).toBe(true);
    expect(readCost(0, year)).toBeGreaterThan(0);
  });

  it('counts the month partitions a span of weeks touches', () => {
    const day = (iso: string) => Date.parse(iso) / 86_400_000;
    // 2018-05-21 (Monday) to the week of 2018-05-28: May and June (the last week ends 2018-06-03).
    // A year of weeks from 2018-01-01 ends on 2019-01-06: 13 months.
    expect(monthsOfWeeks(day('2018-05-21'), day('2018-05-28'))).toBe(2);
    expect(monthsOfWeeks(day('2018-05-07'), day('2018-05-14'))).toBe(1);
    expect(monthsOfWeeks(mondayOf(Date.parse('2018-01-03')), mondayOf(Date.parse('2018-12-31')))).toBe(13);
  });
});
