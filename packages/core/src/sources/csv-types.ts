/** Typing CSV cells: every cell is text; a column can be declared a number, decimal, integer, boolean or WKT point. */
import { ConfigError } from '../errors.js';
import { isPlainDecimal } from '../decimal.js';
import { cutRaw } from './reject.js';

/**
 * How a CSV column's text becomes a value: `number` and `integer` give JavaScript numbers,
 * `decimal` checks the text is a plain decimal like `number` does but keeps it as text, exactly as
 * written (no rounding through a binary double; stores parse it into their numeric column types),
 * `boolean` gives true or false, `point` reads a WKT `POINT (lon lat)` into a {@link CsvPoint}
 * (longitude in [-180, 180], latitude in [-90, 90]), `string` keeps the text.
 */
export type CsvColumnType = 'string' | 'number' | 'decimal' | 'integer' | 'boolean' | 'point';

/** A WKT point: longitude and latitude in degrees (WGS 84 order, as WKT writes them: x = lon, y = lat). */
export interface CsvPoint {
  lon: number;
  lat: number;
}

/** A typed cell value; an empty cell of a non-string column (and `POINT EMPTY`) is `null`. */
export type CsvValue = string | number | boolean | CsvPoint | null;

/** The result of typing one cell: the value, or why the text does not fit. */
export type CsvCellResult = { ok: true; value: CsvValue } | { ok: false; reason: string };

const COLUMN_TYPES: readonly CsvColumnType[] = ['string', 'number', 'decimal', 'integer', 'boolean', 'point'];
/** Most characters of a cell a reason quotes: the reject's raw text keeps the row. */
const MAX_QUOTED_CHARS = 60;
const BOOLEANS: ReadonlyMap<string, boolean> = new Map([
  ['true', true],
  ['false', false],
  ['1', true],
  ['0', false],
  ['yes', true],
  ['no', false],
]);

/** Checks the `types` option: every value must be a known column type; throws a `ConfigError` if not. */
export function checkColumnTypes(types: Readonly<Record<string, CsvColumnType>>): void {
  for (const [column, type] of Object.entries(types)) {
    if (!COLUMN_TYPES.includes(type)) {
      throw new ConfigError(`types.${column} is "${String(type)}"; use one of ${COLUMN_TYPES.join(', ')}.`, 'types');
    }
  }
}

/**
 * Types one cell. Numbers are plain decimals (`-1.5`, `2e3`; no hex, no `Infinity`), a decimal is
 * such a number kept as its (trimmed) text, integers must be safe integers, booleans are `true/false`, `1/0` or `yes/no` in any case,
 * points are `POINT (lon lat)` (see {@link parseWktPoint}). Surrounding spaces
 * are ignored for those types; an empty cell is `null`.
 */
export function typeCell(text: string, type: CsvColumnType): CsvCellResult {
  if (type === 'string') return { ok: true, value: text };
  const trimmed = text.trim();
  if (trimmed === '') return { ok: true, value: null };
  if (type === 'point') {
    const point = parseWktPoint(trimmed);
    return typeof point === 'string' ? { ok: false, reason: `${quote(text)} ${point}` } : { ok: true, value: point };
  }
  if (type === 'boolean') {
    const value = BOOLEANS.get(trimmed.toLowerCase());
    return value === undefined ? { ok: false, reason: `${quote(text)} is not a boolean (true/false, 1/0, yes/no)` } : { ok: true, value };
  }
  if (type === 'decimal') {
    return isPlainDecimal(trimmed) ? { ok: true, value: trimmed } : { ok: false, reason: `${quote(text)} is not a decimal number` };
  }
  const value = isPlainDecimal(trimmed) ? Number(trimmed) : Number.NaN;
  if (type === 'integer' && !Number.isSafeInteger(value)) return { ok: false, reason: `${quote(text)} is not an integer` };
  if (!Number.isFinite(value)) return { ok: false, reason: `${quote(text)} is not a number` };
  return { ok: true, value };
}

/** `POINT`, optional `Z`/`M` are refused below; the body between the parentheses is two plain decimals. */
const WKT_POINT = /^point\s*\(\s*(\S+)\s+(\S+)\s*\)$/i;
const WKT_EMPTY = /^point\s+empty$/i;

/**
 * Reads a WKT point `POINT (lon lat)` (case-insensitive, any spaces, `POINT(lon lat)` too; `POINT EMPTY`
 * is `null`): the point, or why the text is not one (not a POINT, a coordinate that is not a plain
 * decimal, a longitude outside [-180, 180] or a latitude outside [-90, 90]). Three or four
 * coordinates (`POINT Z`, `POINT M`) are refused: the column holds plain 2D points.
 */
export function parseWktPoint(text: string): CsvPoint | null | string {
  const trimmed = text.trim();
  if (WKT_EMPTY.test(trimmed)) return null;
  const match = WKT_POINT.exec(trimmed);
  if (match === null) return 'is not a WKT point like POINT (lon lat)';
  const [, x, y] = match as unknown as [string, string, string];
  if (!isPlainDecimal(x) || !isPlainDecimal(y)) return 'has a coordinate that is not a plain decimal number';
  const lon = Number(x);
  const lat = Number(y);
  if (!(lon >= -180 && lon <= 180)) return `has longitude ${x} outside [-180, 180]`;
  if (!(lat >= -90 && lat <= 90)) return `has latitude ${y} outside [-90, 90]`;
  // -0 and 0 are one coordinate.
  return { lon: lon === 0 ? 0 : lon, lat: lat === 0 ? 0 : lat };
}

/** Returned by a {@link CellTyper} for a cell that does not fit: ask {@link typeCell} why. */
export const INVALID_CELL: unique symbol = Symbol('invalid CSV cell');

/** Types one cell of a column, or returns {@link INVALID_CELL}; allocates nothing for valid cells. */
export type CellTyper = (text: string) => CsvValue | typeof INVALID_CELL;

/**
 * The typer of a column type: the same result as {@link typeCell}, without the result object, and
 * with a fast path for the common untrimmed cell. `undefined` for `string` (the text is the value).
 */
export function cellTyper(type: CsvColumnType): CellTyper | undefined {
  if (type === 'string') return undefined;
  const slow: CellTyper = (text) => {
    const cell = typeCell(text, type);
    return cell.ok ? cell.value : INVALID_CELL;
  };
  switch (type) {
    case 'decimal':
      return (text) => (isPlainDecimal(text) ? text : slow(text));
    case 'number':
      return (text) => {
        const value = isPlainDecimal(text) ? Number(text) : Number.NaN;
        return Number.isFinite(value) ? value : slow(text);
      };
    case 'point':
      return (text) => {
        const point = plainPoint(text);
        return point === undefined ? slow(text) : point;
      };
    default:
      return slow;
  }
}

/**
 * The point of the commonest form, `POINT (lon lat)` with each coordinate `-?digits[.digits]`, read
 * by a scan of its characters and in range; `undefined` for anything else, which the full parser
 * ({@link parseWktPoint}) then reads or refuses. Same result as that parser for the form it takes.
 */
function plainPoint(text: string): CsvPoint | undefined {
  const end = text.length - 1;
  if (end < 10 || !text.startsWith('POINT (') || text.charCodeAt(end) !== 41 /* ) */) return undefined;
  const space = plainNumberEnd(text, 7);
  if (space === 7 || text.charCodeAt(space) !== 32) return undefined;
  if (plainNumberEnd(text, space + 1) !== end || space + 1 === end) return undefined;
  const lon = Number(text.slice(7, space));
  const lat = Number(text.slice(space + 1, end));
  if (!(lon >= -180 && lon <= 180 && lat >= -90 && lat <= 90)) return undefined;
  return { lon: lon === 0 ? 0 : lon, lat: lat === 0 ? 0 : lat };
}

/** Where `-?digits[.digits]` starting at `from` ends (`from` itself when there is none). */
function plainNumberEnd(text: string, from: number): number {
  let i = from;
  if (text.charCodeAt(i) === 45 /* - */) i++;
  const digits = i;
  while (isDigit(text.charCodeAt(i))) i++;
  if (i === digits) return from;
  if (text.charCodeAt(i) === 46 /* . */) {
    const fraction = ++i;
    while (isDigit(text.charCodeAt(i))) i++;
    if (i === fraction) return from;
  }
  return i;
}

const isDigit = (code: number) => code >= 48 && code <= 57;

/** A cell's text quoted for a reason, cut to {@link MAX_QUOTED_CHARS} characters. */
function quote(text: string): string {
  return JSON.stringify(cutRaw(text, MAX_QUOTED_CHARS));
}
