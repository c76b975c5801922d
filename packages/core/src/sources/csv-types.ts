/** Typing CSV cells: every cell is text; a column can be declared a number, integer or boolean. */
import { ConfigError } from '../errors.js';
import { cutRaw } from './reject.js';

/** How a CSV column's text becomes a value. */
export type CsvColumnType = 'string' | 'number' | 'integer' | 'boolean';

/** A typed cell value; an empty cell of a non-string column is `null`. */
export type CsvValue = string | number | boolean | null;

/** The result of typing one cell: the value, or why the text does not fit. */
export type CsvCellResult = { ok: true; value: CsvValue } | { ok: false; reason: string };

const COLUMN_TYPES: readonly CsvColumnType[] = ['string', 'number', 'integer', 'boolean'];
/**
 * A plain decimal. Linear on any text: no two parts can match the same digits (`\d+\.?\d*` could,
 * which made a long run of digits ending in a letter take quadratic time).
 */
const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
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
 * Types one cell. Numbers are plain decimals (`-1.5`, `2e3`; no hex, no `Infinity`), integers must
 * be safe integers, booleans are `true/false`, `1/0` or `yes/no` in any case. Surrounding spaces
 * are ignored for those types; an empty cell is `null`.
 */
export function typeCell(text: string, type: CsvColumnType): CsvCellResult {
  if (type === 'string') return { ok: true, value: text };
  const trimmed = text.trim();
  if (trimmed === '') return { ok: true, value: null };
  if (type === 'boolean') {
    const value = BOOLEANS.get(trimmed.toLowerCase());
    return value === undefined ? { ok: false, reason: `${quote(text)} is not a boolean (true/false, 1/0, yes/no)` } : { ok: true, value };
  }
  const value = DECIMAL.test(trimmed) ? Number(trimmed) : Number.NaN;
  if (type === 'integer' && !Number.isSafeInteger(value)) return { ok: false, reason: `${quote(text)} is not an integer` };
  if (!Number.isFinite(value)) return { ok: false, reason: `${quote(text)} is not a number` };
  return { ok: true, value };
}

/** A cell's text quoted for a reason, cut to {@link MAX_QUOTED_CHARS} characters. */
function quote(text: string): string {
  return JSON.stringify(cutRaw(text, MAX_QUOTED_CHARS));
}
