/**
 * A source over one Parquet file, read row group by row group: the footer first, then one row
 * group's projected column chunks at a time (fetched as byte ranges, decoded by hyparquet), emitted
 * as records in slices of `chunkRows` with the pipeline's flow control checked between slices.
 */
import { basename } from 'node:path';
import {
  ConfigError,
  chunkedObservable,
  describeError,
  recordFactory,
  type ChunkProducer,
  type Position,
  type ReadOptions,
  type Source,
  type SourceRecord,
} from '@sluice/core';
import { parquetMetadataAsync, parquetRead, parquetSchema, type ColumnData, type DecodedArray, type FileMetaData, type SchemaTree } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { ParquetFileError } from './errors.js';
import { openParquetFile, type ParquetFileBuffer } from './file-buffer.js';
import {
  BadValue,
  converterFor,
  describeValue,
  metadataForReading,
  parsersFor,
  type Converter,
  type TypeMappingOptions,
} from './type-mapping.js';

/** Options of {@link parquetSource}. */
export interface ParquetSourceOptions extends TypeMappingOptions {
  /** Path of the Parquet file. */
  path: string;
  /** Stable source name (checkpoint stream id); defaults to the file's base name. */
  name?: string;
  /**
   * Top-level columns to read, in the order the records list them (default: every column, in
   * schema order). Only these columns' chunks are fetched and decoded. A column the file does not
   * have fails the read with a `ParquetFileError` naming it.
   */
  columns?: readonly string[];
  /** Most records emitted between two flow checks (default 1024). A whole row group is decoded at once regardless. */
  chunkRows?: number;
}

/** A value the Parquet source yields; see the README's type mapping table. */
export type ParquetValue = string | number | bigint | boolean | Date | Uint8Array | null | unknown[] | { [key: string]: unknown };

/** A Parquet row as the source yields it: column name → value. */
export type ParquetRecord = Record<string, ParquetValue>;

/** Default records per emitted chunk. */
export const DEFAULT_CHUNK_ROWS = 1024;

/** Most characters of a rejected row quoted in its `raw` field. */
const MAX_RAW = 200;

/**
 * Reads the Parquet file `options.path` (any writer; every codec hyparquet-compressors knows) in
 * bounded memory: one row group's projected columns at a time. Positions are `{ index }`, the
 * 0-based row of the file; `read(position)` goes on with the next row, skipping whole row groups
 * before it without fetching them. A file that cannot be read (missing, truncated, not Parquet, a
 * row group that does not decode, a projected column it lacks) fails the read with a
 * `ParquetFileError` naming it (rows of earlier row groups have been emitted by then); a row with
 * a value that cannot be mapped (invalid UTF-8 or JSON, a 64-bit integer beyond a number under
 * `int64: 'number'`) becomes a reject naming its row and column, and reading goes on.
 */
export function parquetSource<T = ParquetRecord>(options: ParquetSourceOptions): Source<T> {
  const name = options.name ?? basename(options.path);
  const chunkRows = options.chunkRows ?? DEFAULT_CHUNK_ROWS;
  if (!Number.isSafeInteger(chunkRows) || chunkRows < 1) {
    throw new ConfigError(`chunkRows must be a whole number of at least 1, got ${chunkRows}.`, 'chunkRows');
  }
  const mapping = resolveMapping(options);
  const parsers = parsersFor(mapping.timestamps);

  const openProducer = async (from: Position | undefined): Promise<ChunkProducer<T>> => {
    const file = await openParquetFile(options.path, name);
    try {
      const metadata = await readFooter(file, name, options.path);
      const plan = planColumns(metadata, options.columns, mapping, name, options.path);
      const reader = new RowGroupReader<T>({ file, metadata, plan, name, path: options.path, chunkRows, parsers, mapping });
      reader.seek(startRow(from, Number(metadata.num_rows), name, options.path));
      return { next: () => reader.next(), close: () => file.close() };
    } catch (error) {
      await file.close();
      throw error;
    }
  };

  return {
    name,
    read: (from?: Position, readOptions?: ReadOptions) => chunkedObservable(name, () => openProducer(from), readOptions?.flow),
  };
}

/** Options of {@link readParquetColumns}: those of the source, without `chunkRows` (a batch is a row group). */
export type ParquetColumnsOptions = Omit<ParquetSourceOptions, 'chunkRows'>;

/** The rows of one row group as columns, mapped as {@link parquetSource} maps values. */
export interface ParquetColumns {
  /** 0-based row group of these rows. */
  rowGroup: number;
  /** The file row (0-based) of the first value of each column. */
  rowStart: number;
  /** Rows in this batch: every column holds this many values. */
  length: number;
  /** The columns, in the order of `values`: `columns` of the options, or the file's in schema order. */
  names: readonly string[];
  /**
   * One array per column; `values[k][i]` is column `names[k]` of file row `rowStart + i`. Typed
   * arrays for required numeric columns (as hyparquet decodes them), arrays otherwise; `null` for
   * a null and for a value that cannot be mapped (then listed in `rejects`). Dictionary-encoded
   * columns share value objects between rows: do not mutate them.
   */
  values: readonly ArrayLike<ParquetValue>[];
  /** Rows holding a value that cannot be mapped, in row order: the file row, its column, and why. */
  rejects: readonly ParquetColumnReject[];
}

/** A value of a {@link ParquetColumns} batch that cannot be mapped (its row is a reject for {@link parquetSource}). */
export interface ParquetColumnReject {
  /** File row (0-based). */
  row: number;
  column: string;
  /** What is wrong, e.g. `is not valid UTF-8 (3 bytes)`. */
  reason: string;
}

/**
 * Reads the Parquet file `options.path` column-wise: one {@link ParquetColumns} batch per row
 * group, projected and type-mapped exactly as {@link parquetSource} does, in the same bounded
 * memory (one row group's projected columns at a time), but without a record object per row: the
 * path for bulk loads that check, convert and write a column at a time. A file that cannot be read
 * throws the same `ParquetFileError` as the source's read fails with (batches of earlier row
 * groups have been yielded by then); a value that cannot be mapped is `null` in its column and
 * listed in the batch's `rejects`. The file is closed when the iteration ends, however it ends.
 */
export async function* readParquetColumns(options: ParquetColumnsOptions): AsyncGenerator<ParquetColumns, void, undefined> {
  const name = options.name ?? basename(options.path);
  const mapping = resolveMapping(options);
  const parsers = parsersFor(mapping.timestamps);
  const file = await openParquetFile(options.path, name);
  try {
    const metadata = await readFooter(file, name, options.path);
    const plan = planColumns(metadata, options.columns, mapping, name, options.path);
    const reader = new RowGroupReader<ParquetRecord>({ file, metadata, plan, name, path: options.path, chunkRows: DEFAULT_CHUNK_ROWS, parsers, mapping });
    for (;;) {
      const batch = await reader.nextColumns();
      if (batch === undefined) return;
      yield batch;
    }
  } finally {
    await file.close();
  }
}

/** The type mapping of the options, defaults filled in and checked. */
function resolveMapping(options: TypeMappingOptions): Required<TypeMappingOptions> {
  const mapping: Required<TypeMappingOptions> = {
    timestamps: options.timestamps ?? 'date',
    int64: options.int64 ?? 'number',
    decimals: options.decimals ?? 'number',
    utf8: options.utf8 ?? true,
  };
  checkChoice(mapping.timestamps, 'timestamps', ['date', 'epoch-ms', 'epoch-ns']);
  checkChoice(mapping.int64, 'int64', ['number', 'bigint']);
  checkChoice(mapping.decimals, 'decimals', ['number', 'string']);
  return mapping;
}

function checkChoice(value: string, option: string, allowed: readonly string[]): void {
  if (!allowed.includes(value)) {
    throw new ConfigError(`${option} must be one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${JSON.stringify(value)}.`, option);
  }
}

/** The file's footer, or a `ParquetFileError` saying the file is not readable Parquet. */
async function readFooter(file: ParquetFileBuffer, name: string, path: string): Promise<FileMetaData> {
  try {
    const metadata = await parquetMetadataAsync(file);
    let rows = 0;
    for (const group of metadata.row_groups) rows += Number(group.num_rows);
    if (rows !== Number(metadata.num_rows)) {
      throw new Error(`its footer says ${metadata.num_rows} rows but its row groups hold ${rows}`);
    }
    return metadata;
  } catch (error) {
    throw new ParquetFileError(
      `Source "${name}": ${path} (${file.byteLength} bytes) is not a readable Parquet file: ${describeError(error)}. ` +
        'It is truncated, corrupt or not Parquet at all; write it again or move it aside.',
      name,
      path,
      { cause: error },
    );
  }
}

/** The columns a read decodes, in output order, with their converters. */
interface ColumnPlan {
  names: string[];
  converters: (Converter | undefined)[];
}

/** The projected columns of `metadata`, or a `ParquetFileError` naming a requested column the file lacks. */
function planColumns(
  metadata: FileMetaData,
  requested: readonly string[] | undefined,
  mapping: Required<TypeMappingOptions>,
  name: string,
  path: string,
): ColumnPlan {
  const byName = new Map<string, SchemaTree>(parquetSchema(metadata).children.map((child) => [child.element.name, child]));
  const names = requested ? [...requested] : [...byName.keys()];
  const seen = new Set<string>();
  for (const column of names) {
    if (seen.has(column)) throw new ConfigError(`columns names "${column}" twice; list each column once.`, 'columns');
    seen.add(column);
    if (column === '__proto__') throw new ConfigError('a column named "__proto__" cannot be a record key; leave it out of columns.', 'columns');
  }
  const missing = names.filter((column) => !byName.has(column));
  if (missing.length > 0) {
    throw new ParquetFileError(
      `Source "${name}": ${path} has no column ${missing.map((m) => `"${m}"`).join(', ')} (its columns: ${[...byName.keys()].join(', ')}). ` +
        'Fix the columns option, or the writer of the file.',
      name,
      path,
    );
  }
  return { names, converters: names.map((column) => converterFor(byName.get(column)!, mapping)) };
}

/** The first row to read after `from`, or a `ParquetFileError` when the file has fewer rows than the position says. */
function startRow(from: Position | undefined, rows: number, name: string, path: string): number {
  const index = from?.index;
  // A position without a row index says nothing about where to go on in this file: start over.
  if (index === undefined) return 0;
  if (!Number.isSafeInteger(index) || index < -1 || index >= rows) {
    throw new ParquetFileError(
      `Source "${name}" cannot resume after row ${index} of ${path}: the file has ${rows} rows. ` +
        'It was truncated or replaced since the checkpoint was taken; reset the checkpoint to read it from the start.',
      name,
      path,
    );
  }
  return index + 1;
}

/** What a {@link RowGroupReader} reads with. */
interface ReaderOptions {
  file: ParquetFileBuffer;
  metadata: FileMetaData;
  plan: ColumnPlan;
  name: string;
  path: string;
  chunkRows: number;
  parsers: ReturnType<typeof parsersFor>;
  mapping: Required<TypeMappingOptions>;
}

/** A decoded row group: for each planned column, its values from absolute row `base[k]` on. */
interface DecodedGroup {
  index: number;
  start: number;
  end: number;
  columns: DecodedArray[];
  bases: number[];
}

/** Decodes one row group at a time and turns its rows into records, `chunkRows` per call. */
class RowGroupReader<T> {
  /** Absolute first row of each row group, plus the row count at the end. */
  private readonly groupStarts: number[] = [0];
  private readonly readMetadata: FileMetaData;
  private readonly makeRecord: (cells: readonly unknown[]) => Record<string, unknown>;
  private readonly cells: unknown[];
  private group = 0;
  private row = 0;
  private decoded: DecodedGroup | undefined;

  constructor(private readonly options: ReaderOptions) {
    for (const group of options.metadata.row_groups) this.groupStarts.push(this.groupStarts.at(-1)! + Number(group.num_rows));
    this.readMetadata = metadataForReading(options.metadata, options.mapping.decimals);
    this.makeRecord = recordFactory<unknown>(options.plan.names);
    this.cells = new Array<unknown>(options.plan.names.length);
  }

  /** Starts at absolute row `row`: the row groups before it are never fetched. */
  seek(row: number): void {
    this.row = row;
    this.group = 0;
    while (this.group < this.options.metadata.row_groups.length && this.groupStarts[this.group + 1]! <= row) this.group++;
  }

  /** The next chunk of records, or `undefined` at the end of the file. */
  async next(): Promise<SourceRecord<T>[] | undefined> {
    if (this.decoded === undefined) {
      const groups = this.options.metadata.row_groups.length;
      while (this.group < groups && this.groupStarts[this.group + 1]! <= this.row) this.group++;
      if (this.group >= groups) return undefined;
      this.decoded = await this.decode(this.group);
    }
    const decoded = this.decoded;
    const to = Math.min(this.row + this.options.chunkRows, decoded.end);
    const out = this.records(decoded, this.row, to);
    this.row = to;
    if (to >= decoded.end) {
      // Drop the group's columns before the next one is fetched: one row group in memory at a time.
      this.decoded = undefined;
      this.group++;
    }
    return out;
  }

  /** The rest of the current row group as columns, or `undefined` at the end of the file. */
  async nextColumns(): Promise<ParquetColumns | undefined> {
    const groups = this.options.metadata.row_groups.length;
    while (this.group < groups && this.groupStarts[this.group + 1]! <= this.row) this.group++;
    if (this.group >= groups) return undefined;
    const decoded = this.decoded ?? (await this.decode(this.group));
    this.decoded = undefined;
    const from = this.row;
    this.row = decoded.end;
    this.group++;
    return this.columnsOf(decoded, from, decoded.end);
  }

  /** Absolute rows `[from, to)` of `decoded` as mapped columns, with the values that cannot be mapped. */
  private columnsOf(decoded: DecodedGroup, from: number, to: number): ParquetColumns {
    const { converters, names } = this.options.plan;
    const length = to - from;
    const values: ArrayLike<ParquetValue>[] = [];
    const bad: ParquetColumnReject[] = [];
    for (let k = 0; k < names.length; k++) {
      const data = decoded.columns[k]!;
      const offset = from - decoded.bases[k]!;
      const convert = converters[k];
      if (!Array.isArray(data) && convert === undefined) {
        // A typed array (a required numeric column): already final.
        values.push((offset === 0 && data.length === length ? data : data.slice(offset, offset + length)) as ArrayLike<ParquetValue>);
        continue;
      }
      // hyparquet's array is this reader's: converted in place when it holds exactly these rows.
      const out = Array.isArray(data) && offset === 0 && data.length === length ? (data as ParquetValue[]) : new Array<ParquetValue>(length);
      for (let i = 0; i < length; i++) {
        let value: unknown = data[offset + i];
        if (value === undefined || value === null) value = null;
        else if (convert !== undefined) {
          value = convert(value);
          if (value instanceof BadValue) {
            bad.push({ row: from + i, column: names[k]!, reason: value.reason });
            value = null;
          }
        }
        out[i] = value as ParquetValue;
      }
      values.push(out);
    }
    if (bad.length > 1) bad.sort((a, b) => a.row - b.row);
    return { rowGroup: decoded.index, rowStart: from, length, names, values, rejects: bad };
  }

  /** Fetches and decodes the planned columns of row group `index` from the current row on. */
  private async decode(index: number): Promise<DecodedGroup> {
    const { file, plan, name, path, parsers } = this.options;
    const start = this.groupStarts[index]!;
    const end = this.groupStarts[index + 1]!;
    const chunks = new Map<string, ColumnData[]>(plan.names.map((column) => [column, []]));
    const fail = (problem: string, cause?: unknown): ParquetFileError =>
      new ParquetFileError(
        `Source "${name}": row group ${index} (rows ${start}–${end - 1}) of ${path} cannot be decoded: ${problem}. ` +
          'The file is corrupt or truncated; write it again or move it aside.',
        name,
        path,
        { cause, rowGroup: index },
      );
    try {
      await parquetRead({
        file,
        metadata: this.readMetadata,
        columns: plan.names,
        rowStart: Math.max(this.row, start),
        rowEnd: end,
        compressors,
        parsers,
        // Unannotated byte arrays arrive as bytes and are decoded strictly by the column converters.
        utf8: false,
        onChunk: (chunk) => chunks.get(chunk.columnName)?.push(chunk),
      });
    } catch (error) {
      throw fail(describeError(error), error);
    }
    const columns: DecodedArray[] = [];
    const bases: number[] = [];
    for (const column of plan.names) {
      const parts = chunks.get(column)!.sort((a, b) => a.rowStart - b.rowStart);
      const first = parts[0];
      const base = first?.rowStart ?? this.row;
      let covered = base;
      for (const part of parts) {
        if (part.rowStart !== covered) break;
        covered = part.rowEnd;
      }
      if (parts.length === 0 || base > this.row || covered < end) {
        throw fail(`column "${column}" holds values for rows ${base}–${covered - 1} only, not ${this.row}–${end - 1}`);
      }
      columns.push(parts.length === 1 ? first!.columnData : flattenParts(parts));
      bases.push(base);
    }
    return { index, start, end, columns, bases };
  }

  /** The records of absolute rows `[from, to)` of `decoded`. */
  private records(decoded: DecodedGroup, from: number, to: number): SourceRecord<T>[] {
    const { converters, names } = this.options.plan;
    const { columns, bases } = decoded;
    const { cells } = this;
    const width = names.length;
    const out: SourceRecord<T>[] = new Array(to - from);
    for (let row = from; row < to; row++) {
      let bad: string | undefined;
      for (let k = 0; k < width; k++) {
        let value: unknown = columns[k]![row - bases[k]!];
        if (value === undefined || value === null) value = null;
        else {
          const convert = converters[k];
          if (convert !== undefined) value = convert(value);
          if (value instanceof BadValue) {
            bad ??= `column "${names[k]}": ${value.reason}`;
          }
        }
        cells[k] = value;
      }
      out[row - from] =
        bad === undefined
          ? { kind: 'record', value: this.makeRecord(cells) as T, position: { index: row } }
          : this.reject(row, decoded.index, bad);
    }
    return out;
  }

  private reject(row: number, group: number, problem: string): SourceRecord<T> {
    const { names } = this.options.plan;
    const shown = names.map((column, k) => `${column}=${describeValue(this.cells[k])}`).join(', ');
    return {
      kind: 'reject',
      reason: `Parquet row ${row} (row group ${group}) of ${this.options.path}: ${problem}`,
      raw: shown.length > MAX_RAW ? `${shown.slice(0, MAX_RAW)}…` : shown,
      position: { index: row },
    };
  }
}

/** One array of the contiguous column chunks `parts`. */
function flattenParts(parts: readonly ColumnData[]): unknown[] {
  const values: unknown[] = [];
  for (const part of parts) {
    const data = part.columnData;
    for (let i = 0; i < data.length; i++) values.push(data[i]);
  }
  return values;
}
