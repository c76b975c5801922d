/**
 * Reading one file whole into checked columns: its good rows (names and epoch-ms timestamps, a
 * column at a time, no object per row) and a dead letter per bad row. Parquet is read column-wise
 * (`readParquetColumns`); CSV, the rare case, through the CSV source. A file that cannot be read
 * as a whole (truncated, not Parquet, a column missing) throws `SensorFileError`: it is quarantined.
 */
import { join } from 'node:path';
import { csvSource, deadLetter, describeError, isRetriable, type DeadLetter } from '@sluice/core';
import { readParquetColumns, type ParquetColumns } from '@sluice/source-parquet';
import { SensorFileError } from './errors.js';
import { COLUMNS } from './generate.js';

/** A file's good rows as columns (index i is one row), and its dead letters. */
export interface FileRows {
  /** Good rows. */
  count: number;
  /** The file row (0-based) of each good row; `undefined` when they are rows 0 to count - 1. */
  row: number[] | undefined;
  department: ArrayLike<string>;
  serial: ArrayLike<string>;
  product: ArrayLike<string>;
  /** Epoch milliseconds. */
  createAt: ArrayLike<number>;
  expire: ArrayLike<number>;
  letters: DeadLetter[];
}

/** A {@link FileRows} being filled row by row. */
interface GrowingRows extends FileRows {
  row: number[];
  department: string[];
  serial: string[];
  product: string[];
  createAt: number[];
  expire: number[];
}

const TEXT = ['department_name', 'sensor_serial', 'product_name'] as const;
const TIMES = ['create_at', 'product_expire'] as const;

function emptyRows(): GrowingRows {
  return { count: 0, row: [], department: [], serial: [], product: [], createAt: [], expire: [], letters: [] };
}

/** A timestamp cell as epoch ms, or NaN: numbers as they are, text through `Date.parse`. */
function msOf(value: unknown): number {
  return typeof value === 'number' ? value : typeof value === 'string' && value !== '' ? Date.parse(value) : Number.NaN;
}

/** Why a text cell is refused, or undefined when it is a non-empty string. */
function textProblem(column: string, value: unknown): string | undefined {
  if (typeof value === 'string' && value.length > 0) return undefined;
  return `${column}: expected a non-empty string, got ${value === null || value === undefined ? 'null' : typeof value === 'string' ? 'an empty string' : typeof value}`;
}

/** Why a timestamp cell is refused, or undefined when it is one. */
function timeProblem(column: string, value: unknown): string | undefined {
  if (Number.isFinite(msOf(value))) return undefined;
  return `${column}: expected a timestamp, got ${value === null || value === undefined ? 'null' : JSON.stringify(value)}`;
}

/** The cells of a row, for a dead letter's payload. */
function cellsOf(values: readonly ArrayLike<unknown>[], i: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  COLUMNS.forEach((column, k) => (out[column] = values[k]![i] ?? null));
  return out;
}

type Columns = [ArrayLike<unknown>, ArrayLike<unknown>, ArrayLike<unknown>, ArrayLike<unknown>, ArrayLike<unknown>];

/** Whether a row's cells have the types this example's files have: names as non-empty text, times as finite epoch ms. */
function isPlainRow(d: unknown, s: unknown, p: unknown, c: unknown, e: unknown): boolean {
  return typeof d === 'string' && d !== '' && typeof s === 'string' && s !== '' && typeof p === 'string' && p !== '' && typeof c === 'number' && typeof e === 'number' && Number.isFinite(c) && Number.isFinite(e);
}

/** Whether every row of a batch has the types this example's files have (the common case: its columns are used as they are). */
function allGood(batch: ParquetColumns): boolean {
  if (batch.rejects.length > 0) return false;
  const [department, serial, createAt, product, expire] = batch.values as Columns;
  for (let i = 0; i < batch.length; i++) {
    if (!isPlainRow(department[i], serial[i], product[i], createAt[i], expire[i])) return false;
  }
  return true;
}

/** Adds one Parquet batch (columns in `COLUMNS` order) to `out`, checking every cell. */
function addBatch(file: string, batch: ParquetColumns, out: GrowingRows): void {
  const [department, serial, createAt, product, expire] = batch.values as Columns;
  const unmappable = new Map<number, string>();
  for (const reject of batch.rejects) if (!unmappable.has(reject.row)) unmappable.set(reject.row, `${reject.column}: ${reject.reason}`);
  for (let i = 0; i < batch.length; i++) {
    const d = department[i];
    const s = serial[i];
    const p = product[i];
    const c = createAt[i];
    const e = expire[i];
    const row = batch.rowStart + i;
    // The fast path: the types this example's files have.
    if (isPlainRow(d, s, p, c, e)) {
      out.row.push(row);
      out.department.push(d as string);
      out.serial.push(s as string);
      out.product.push(p as string);
      out.createAt.push(c as number);
      out.expire.push(e as number);
      out.count++;
      continue;
    }
    const problem =
      unmappable.get(row) ??
      textProblem(TEXT[0], d) ??
      textProblem(TEXT[1], s) ??
      textProblem(TEXT[2], p) ??
      timeProblem(TIMES[0], c) ??
      timeProblem(TIMES[1], e);
    if (problem !== undefined) {
      out.letters.push(deadLetter(file, `file ${file}, row ${row}: ${problem}`, cellsOf(batch.values, i), { position: { index: row } }));
      continue;
    }
    // Good, but not in the fast path's types (timestamps as text).
    out.row.push(row);
    out.department.push(d as string);
    out.serial.push(s as string);
    out.product.push(p as string);
    out.createAt.push(msOf(c));
    out.expire.push(msOf(e));
    out.count++;
  }
}

function quarantine(file: string, error: unknown): SensorFileError {
  return new SensorFileError(`file ${file} cannot be read: ${describeError(error)}; it is quarantined: fix or replace it and run the load again.`, file, { cause: error });
}

async function readParquet(dir: string, file: string): Promise<FileRows> {
  const batches: ParquetColumns[] = [];
  try {
    for await (const batch of readParquetColumns({ path: join(dir, file), name: file, columns: COLUMNS, timestamps: 'epoch-ms' })) batches.push(batch);
  } catch (error) {
    if (isRetriable(error)) throw error;
    throw quarantine(file, error);
  }
  const only = batches[0];
  if (batches.length === 1 && only!.rowStart === 0 && allGood(only!)) {
    // One row group, every row good: its columns are the file's rows.
    const [department, serial, createAt, product, expire] = only!.values as [ArrayLike<string>, ArrayLike<string>, ArrayLike<number>, ArrayLike<string>, ArrayLike<number>];
    return { count: only!.length, row: undefined, department, serial, product, createAt, expire, letters: [] };
  }
  const out = emptyRows();
  for (const batch of batches) addBatch(file, batch, out);
  return out;
}

async function readCsv(dir: string, file: string): Promise<FileRows> {
  const out = emptyRows();
  let index = 0;
  await new Promise<void>((resolve, reject) => {
    csvSource<Record<string, unknown>>({ path: join(dir, file), name: file })
      .read()
      .subscribe({
        next: (item) => {
          const row = item.position.index ?? index;
          index++;
          if (item.kind === 'reject') {
            out.letters.push(deadLetter(file, `file ${file}, row ${row}: ${item.reason}`, item.raw, { position: item.position }));
            return;
          }
          const value = item.value;
          for (const column of COLUMNS) {
            if (!(column in value)) {
              reject(new SensorFileError(`file ${file} has no column "${column}" (it has ${Object.keys(value).join(', ')}); it is quarantined: fix or replace it and run the load again.`, file));
              return;
            }
          }
          addBatch(file, { rowGroup: 0, rowStart: row, length: 1, names: COLUMNS, values: COLUMNS.map((column) => [value[column] as never]), rejects: [] }, out);
        },
        error: (error: unknown) => reject(isRetriable(error) || error instanceof SensorFileError ? error : quarantine(file, error)),
        complete: resolve,
      });
  });
  return out;
}

/** Reads `file` of `dir` whole: its good rows and its dead letters. Throws `SensorFileError` when the file as a whole is bad. */
export function readFileRows(dir: string, file: string): Promise<FileRows> {
  return file.toLowerCase().endsWith('.csv') ? readCsv(dir, file) : readParquet(dir, file);
}
