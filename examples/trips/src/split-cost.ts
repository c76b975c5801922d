/**
 * Whether a boundary cell of a box is cheaper to read row by row or to split (when the stored cells
 * are finer than the grouping resolution). Pure. Reading the cell costs a row per trip in it;
 * splitting costs the parts' geometry, the rollup rows of the parts inside, a lookup of each part on
 * the edge and then the rows of those. So a cell is split where it holds many trips and its edge
 * parts few of them. A fixed count of trips does as well only where it falls between the sparse and
 * the dense cells of the data at hand (at 25M trips in one city, splitting every cell made the city
 * box 3 times slower, splitting none the district box 4 to 6 times); the estimate needs no count.
 *
 * The estimates assume trips spread evenly over a cell's parts and each part's trips over the weeks.
 * The costs are microseconds of this machine, measured per cell with EXPLAIN ANALYZE on 25M trips
 * (the Prague trips of the 100M file; 72 boundary cells of three boxes, each read whole and split).
 * A trip costs 0.06–0.2 µs in the covering index, a rollup row 0.6 µs (its count is in the heap), so
 * the rollup pays only where a part holds several trips a week; only the ratios matter.
 */

/** Microseconds per unit of work. */
export interface SplitCosts {
  /** A trip read from the covering index and tested against the box. */
  readonly row: number;
  /** One index range of stored cells in one month partition of the trips (a boundary cell read whole). */
  readonly rangePerMonth: number;
  /** One stored cell in one month partition of the trips (an edge part: one list, one index scan). */
  readonly cellPerMonth: number;
  /** A rollup row summed. */
  readonly rollupRow: number;
  /** One index range of the rollup (parts inside, siblings merged). */
  readonly rollupRange: number;
  /** The rollup lookup of one edge part (does it hold trips in the span). */
  readonly partLookup: number;
  /** Finding a cell's parts (their boundaries against the box, in JavaScript). */
  readonly geometry: number;
}

/** The costs measured here (see above). */
export const SPLIT_COSTS: SplitCosts = { row: 0.1, rangePerMonth: 3, cellPerMonth: 1.5, rollupRow: 0.6, rollupRange: 30, partLookup: 20, geometry: 250 };

/** How a boundary cell falls apart at the stored resolution. */
export interface CellParts {
  /** Parts of the cell (stored cells) in all: 7 per resolution step. */
  parts: number;
  /** Parts wholly inside the box. */
  inside: number;
  /** Index ranges those make (siblings merged). */
  insideRanges: number;
  /** Parts that may hold points on both sides of the box's edges. */
  edge: number;
}

/** What the span of a question spans. */
export interface SpanSize {
  weeks: number;
  /** Month partitions the span touches. */
  months: number;
}

/** Estimated µs to read a cell holding `trips` row by row. */
export function readCost(trips: number, span: SpanSize, costs: SplitCosts = SPLIT_COSTS): number {
  return span.months * costs.rangePerMonth + trips * costs.row;
}

/** Estimated µs to answer a cell holding `trips` from its parts. */
export function splitCost(trips: number, parts: CellParts, span: SpanSize, costs: SplitCosts = SPLIT_COSTS): number {
  const perPart = trips / parts.parts;
  // A part has a rollup row per week with trips: at most one per trip, at most one per week.
  const rollupRows = parts.inside * Math.min(span.weeks, perPart);
  const edgeTrips = parts.edge * perPart;
  // Edge parts with trips at all (each is looked up, and those with trips read in each month).
  const edgeOccupied = parts.edge * Math.min(1, perPart);
  return (
    costs.geometry +
    parts.insideRanges * costs.rollupRange +
    rollupRows * costs.rollupRow +
    parts.edge * costs.partLookup +
    edgeOccupied * span.months * costs.cellPerMonth +
    edgeTrips * costs.row
  );
}

/**
 * Whether a cell holds enough trips to look for its parts at all: their rows must cost more than
 * the geometry and one rollup range. (A cell's month partitions are searched either way, for the
 * cell or for its edge parts, so they do not count here.) Spares the geometry of the many boundary
 * cells of a large box that hold few trips: a country's border has thousands.
 */
export function mayBeWorthSplitting(trips: number, costs: SplitCosts = SPLIT_COSTS): boolean {
  return trips * costs.row > costs.geometry + costs.rollupRange;
}

/** Whether splitting the cell is estimated cheaper than reading it. */
export function worthSplitting(trips: number, parts: CellParts, span: SpanSize, costs: SplitCosts = SPLIT_COSTS): boolean {
  return splitCost(trips, parts, span, costs) < readCost(trips, span, costs);
}

/** The month partitions (calendar months, UTC) touched by weeks from the Monday `first` to the week of `last` (epoch days). */
export function monthsOfWeeks(first: number, last: number): number {
  const monthOf = (day: number) => {
    const d = new Date(day * 86_400_000);
    return d.getUTCFullYear() * 12 + d.getUTCMonth();
  };
  return monthOf(last + 6) - monthOf(first) + 1;
}
