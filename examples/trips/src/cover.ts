/**
 * Which H3 cells (at the stored resolution) a bounding box holds wholly, and which it only may
 * touch. Pure. The test of a cell is conservative: a cell counts as inside only when the bounding
 * box of its vertices, widened by a margin, is inside the box, and as outside only when that widened
 * box misses it. Every other cell at the stored resolution is a boundary cell, answered from raw
 * rows with the exact comparison. For a coarser cell the margin also covers its descendants, which
 * H3 does not nest exactly inside their parent (it is one average edge length of the coarse cell: descendants stray about 0.6 of it).
 */
import { cellToBoundary, cellToChildren, getHexagonEdgeLengthAvg, getRes0Cells, getResolution, UNITS } from 'h3-js';

/** A lon/lat box, bounds inclusive. */
export interface Box {
  minLon: number;
  minLat: number;
  maxLon: number;
  maxLat: number;
}

/** What a box covers at one resolution. */
export interface Cover {
  /** The cells wholly inside (hex, at the resolution where they were found: coarse where possible; see `rollupRanges`). */
  insideCells: string[];
  /** Cells (decimal text, at the boundary resolution) that may hold points both inside and outside. */
  boundary: string[];
}

const RES_SHIFT = 52n;
const RES_MASK = 0xfn << RES_SHIFT;
const KM_PER_DEG_LAT = 110.574;
const KM_PER_DEG_LON_EQUATOR = 111.32;

/**
 * The range of index values of the descendants of `cell` at resolution `res`: digits below the
 * cell's resolution run from 0 to 7 (7 never occurs in a valid cell), so the range holds exactly
 * those descendants among valid cells.
 */
export function descendantRange(cell: string, res: number): [bigint, bigint] {
  const index = BigInt(`0x${cell}`);
  const r = getResolution(cell);
  const hi = (index & ~RES_MASK) | (BigInt(res) << RES_SHIFT);
  const width = BigInt(3 * (res - r));
  const lowBits = BigInt(3 * (15 - res));
  const lo = hi & ~(((1n << width) - 1n) << lowBits);
  return [lo, hi];
}

type Verdict = 'inside' | 'outside' | 'maybe';

/** Classifies one cell against the box with a margin in km. */
function classify(cell: string, box: Box, marginKm: number): Verdict {
  const vertices = cellToBoundary(cell); // [lat, lng]
  let minLon = Infinity;
  let maxLon = -Infinity;
  let minLat = Infinity;
  let maxLat = -Infinity;
  for (const [lat, lon] of vertices) {
    if (lon < minLon) minLon = lon;
    if (lon > maxLon) maxLon = lon;
    if (lat < minLat) minLat = lat;
    if (lat > maxLat) maxLat = lat;
  }
  // Near a pole: the cell may hold the pole, so it spans every longitude up to the pole.
  let shift = 0;
  if (maxLat > 85 || minLat < -85) {
    if (maxLat > 85) maxLat = 90;
    if (minLat < -85) minLat = -90;
    minLon = -180;
    maxLon = 180;
  } else if (maxLon - minLon > 180) {
    // Across the antimeridian: unwrap the western vertices by +360 and test the box shifted too.
    minLon = Infinity;
    maxLon = -Infinity;
    for (const [, lon] of vertices) {
      const east = lon < 0 ? lon + 360 : lon;
      if (east < minLon) minLon = east;
      if (east > maxLon) maxLon = east;
    }
    shift = 360;
  }
  const cos = Math.cos((Math.max(Math.abs(minLat), Math.abs(maxLat)) * Math.PI) / 180);
  const mLat = marginKm / KM_PER_DEG_LAT;
  const mLon = marginKm / (KM_PER_DEG_LON_EQUATOR * Math.max(cos, 0.01));
  const wMinLon = minLon - mLon;
  const wMaxLon = maxLon + mLon;
  const wMinLat = minLat - mLat;
  const wMaxLat = maxLat + mLat;
  const latOut = wMaxLat < box.minLat || wMinLat > box.maxLat;
  const lonOut = (offset: number) => wMaxLon < box.minLon + offset || wMinLon > box.maxLon + offset;
  if (latOut || (lonOut(0) && (shift === 0 || lonOut(shift)))) return 'outside';
  if (shift === 0 && wMinLon >= box.minLon && wMaxLon <= box.maxLon && wMinLat >= box.minLat && wMaxLat <= box.maxLat) return 'inside';
  return 'maybe';
}

/**
 * The cover of `box` for points stored in cells of resolution `res`, found from the 122
 * resolution-0 cells down, or from the cells `from` (hex, any resolution up to `boundaryRes`: the
 * cover of their stored descendants only). Boundary cells are at `boundaryRes` (at most `res`): a
 * coarser one stands for its stored descendants, which its margin covers.
 */
export function coverBox(box: Box, res: number, boundaryRes = res, from: readonly string[] = getRes0Cells()): Cover {
  if (boundaryRes > res) throw new RangeError(`boundary resolution ${boundaryRes} is finer than the stored cells' ${res}`);
  const cover: Cover = { insideCells: [], boundary: [] };
  const visit = (cell: string, r: number) => {
    const edge = getHexagonEdgeLengthAvg(r, UNITS.km);
    // Finest level: only float error and the bulge of great-circle edges; coarser: the descendants too.
    const margin = r === res ? edge * 0.01 + 1e-6 : edge;
    const verdict = classify(cell, box, margin);
    if (verdict === 'outside') return;
    if (verdict === 'inside') {
      cover.insideCells.push(cell);
      return;
    }
    if (r === boundaryRes) {
      cover.boundary.push(BigInt(`0x${cell}`).toString());
      return;
    }
    for (const child of cellToChildren(cell, r + 1)) visit(child, r + 1);
  };
  for (const cell of from) visit(cell, getResolution(cell));
  return cover;
}

/** Parses `minLon,minLat,maxLon,maxLat`; a string says what is wrong. */
export function parseBox(text: string): Box | string {
  const parts = text.split(',').map((p) => p.trim());
  if (parts.length !== 4 || parts.some((p) => !/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(p))) {
    return `--bbox ${JSON.stringify(text)} is not four numbers minLon,minLat,maxLon,maxLat`;
  }
  const [minLon, minLat, maxLon, maxLat] = parts.map(Number) as [number, number, number, number];
  if (minLon > maxLon || minLat > maxLat) return `--bbox ${text}: give the minimum before the maximum (minLon ≤ maxLon, minLat ≤ maxLat)`;
  if (minLon < -180 || maxLon > 180 || minLat < -90 || maxLat > 90) return `--bbox ${text}: longitudes lie in [-180, 180], latitudes in [-90, 90]`;
  return { minLon, minLat, maxLon, maxLat };
}
