/** A source over a CSV file (RFC 4180) with a header row; rows become objects keyed by the header. */
import { ConfigError, SourceError } from '../errors.js';
import type { Position, Source, SourceRecord } from '../types.js';
import { CsvScanner, type CsvScannedRow } from './csv-scanner.js';
import { INVALID_CELL, cellTyper, checkColumnTypes, typeCell, type CellTyper, type CsvColumnType, type CsvValue } from './csv-types.js';
import { fileSource, type ChunkParser, type FileSourceOptions } from './file-source.js';
import { recordFactory, type RecordFactory } from './record-factory.js';
import { rejectOf } from './reject.js';

/** Options of {@link csvSource}. */
export interface CsvSourceOptions extends FileSourceOptions {
  /** Field separator, one character (default `,`). */
  delimiter?: string;
  /** Types of columns by header name, e.g. `{ count: 'number', ok: 'boolean' }`; others stay strings. */
  types?: Readonly<Record<string, CsvColumnType>>;
  /**
   * Maps each name of the header before it is used as a record key and matched with `types`, e.g.
   * `(name) => name.trim().toLowerCase()` to read `Region ` as `region`. Two columns that map to
   * one name are refused like a name given twice. Default: names as written.
   */
  headerName?: (name: string) => string;
  /**
   * Keep each record's exact bytes (`raw`, line end included), so that the dead letter of a record
   * the pipeline's schema refuses holds the row as it was written, not its parsed value. Costs a
   * copy of every row. Rows the source itself refuses always keep their bytes.
   */
  keepRaw?: boolean;
  /**
   * Read only the rows that start before this byte offset of the file. With `read(position)` at a
   * row boundary this reads one byte range of the file, a row cut by `end` included: how several
   * readers share one file (see {@link csvSplits}).
   */
  end?: number;
}

/** A CSV row as the source yields it: header name → cell value. */
export type CsvRecord = Record<string, CsvValue>;

/**
 * Reads the CSV file `options.path`: the first non-blank row is the header, every further row a
 * record. Quoted fields may hold delimiters, doubled quotes and newlines; LF and CRLF line ends,
 * a byte order mark and blank lines are accepted. A row with the wrong number of fields, a
 * malformed quote or a cell that fails its column type becomes a reject naming its line, and
 * reading goes on. Positions are `{ offset, line, index }`: the byte just past the row, the line
 * it ends on and its index; `read(position)` reads the header, then continues after that row.
 */
export function csvSource<T = CsvRecord>(options: CsvSourceOptions): Source<T> {
  const delimiter = delimiterByte(options.delimiter ?? ',');
  const types = options.types ?? {};
  checkColumnTypes(types);
  return fileSource<T>('CSV', options, (file, resume, name) => ({
    offset: file.contentStart,
    parser: new CsvParser<T>({ delimiter, types, name, path: options.path, resume, headerName: options.headerName, keepRaw: options.keepRaw === true, end: options.end ?? Infinity }),
  }));
}

/** The byte of a one-character delimiter that cannot be confused with quotes or line ends. */
function delimiterByte(delimiter: string): number {
  const code = delimiter.charCodeAt(0);
  if (delimiter.length !== 1 || code > 0x7f || delimiter === '"' || delimiter === '\n' || delimiter === '\r') {
    throw new ConfigError(`delimiter must be one ASCII character other than a quote or line end, got ${JSON.stringify(delimiter)}.`, 'delimiter');
  }
  return code;
}

interface CsvParserOptions {
  delimiter: number;
  types: Readonly<Record<string, CsvColumnType>>;
  name: string;
  path: string;
  /** The position to continue after, if resuming. */
  resume: Position | undefined;
  headerName: ((name: string) => string) | undefined;
  keepRaw: boolean;
  /** Rows starting at or after this byte are not read. */
  end: number;
}

/** Reads the header, seeks to the resume position if there is one, then turns rows into records. */
class CsvParser<T> implements ChunkParser<T> {
  private header: string[] | undefined;
  /** The typer of each header column (`undefined` for text). */
  private typers: (CellTyper | undefined)[] = [];
  private makeRecord: RecordFactory<CsvValue> | undefined;
  /** The typed cells of the row being made into a record (reused). */
  private readonly cells: CsvValue[] = [];
  private seek: number | undefined;
  private index: number;
  private readonly scanner: CsvScanner;
  /** True once a row starting at or after `end` was met. */
  stopped = false;
  /** Emits the record of a row, or stops at the first row at or after `end`. */
  private readonly take: (row: CsvScannedRow, out: SourceRecord<T>[]) => boolean;

  constructor(private readonly options: CsvParserOptions) {
    this.scanner = new CsvScanner(options.delimiter, 1);
    this.index = (options.resume?.index ?? -1) + 1;
    this.take = (row, out) => {
      if (row.startOffset >= options.end) {
        this.stopped = true;
        return false;
      }
      out.push(this.toRecord(row));
      return true;
    };
  }

  /** Takes the header first, then emits the complete rows of `window`; see {@link ChunkParser.parse}. */
  parse(window: Buffer, windowOffset: number, out: SourceRecord<T>[]): number {
    let consumed = 0;
    if (this.header === undefined) {
      consumed = this.scanner.scan(window, windowOffset, (row) => this.takeHeader(row));
      if (this.header === undefined) return consumed;
      const { resume } = this.options;
      if (resume?.offset !== undefined) {
        this.seek = Math.max(resume.offset, windowOffset + consumed);
        this.scanner.reset((resume.line ?? 0) + 1);
        return consumed;
      }
    }
    const rows = window.subarray(consumed);
    return consumed + this.scanner.scan(rows, windowOffset + consumed, (row) => this.take(row, out));
  }

  /** Handles a last row without line end; see {@link ChunkParser.finish}. */
  finish(rest: Buffer, restOffset: number, out: SourceRecord<T>[]): void {
    this.scanner.finish(rest, restOffset, (row) => (this.header === undefined ? this.takeHeader(row) : this.take(row, out)));
  }

  /** Where to continue after the header when resuming; see {@link ChunkParser.takeSeek}. */
  takeSeek(): number | undefined {
    const seek = this.seek;
    this.seek = undefined;
    return seek;
  }

  /** Checks and keeps the header row; stops the scan after it. */
  private takeHeader(row: CsvScannedRow): false {
    const fail = (problem: string) => {
      throw new SourceError(`Source "${this.options.name}": the header of ${this.options.path} ${problem}.`, this.options.name);
    };
    if (row.problem !== undefined) fail(`is malformed (${row.problem})`);
    const written = row.fields();
    const map = this.options.headerName;
    const header = map === undefined ? written : written.map((column) => map(column));
    const seen = new Set<string>();
    header.forEach((column, k) => {
      const as = column === written[k] ? '' : ` (written ${JSON.stringify(written[k])})`;
      if (column === '') fail(`has no name for column ${k + 1}${as}; name every column`);
      if (column === '__proto__') fail('names a column "__proto__"; rename it');
      if (seen.has(column)) fail(`names column "${column}"${as} twice; rename one of them`);
      seen.add(column);
    });
    for (const column of Object.keys(this.options.types)) {
      if (!seen.has(column)) fail(`has no column "${column}", which this source reads as typed (the header has: ${written.map((c) => JSON.stringify(c)).join(', ')})`);
    }
    this.header = header;
    this.typers = header.map((column) => cellTyper(this.options.types[column] ?? 'string'));
    this.makeRecord = recordFactory(header);
    return false;
  }

  /** A record of the row, or a reject saying what is wrong with it. */
  private toRecord(row: CsvScannedRow): SourceRecord<T> {
    const header = this.header!;
    const position: Position = { offset: row.endOffset, line: row.endLine, index: this.index++ };
    if (row.problem !== undefined) return this.reject(row, position, row.problem);
    if (row.count !== header.length) {
      return this.reject(row, position, `has ${row.count} fields but the header has ${header.length}; quote fields that contain the delimiter`);
    }
    const { typers, cells } = this;
    for (let k = 0; k < header.length; k++) {
      const text = row.field(k);
      const typer = typers[k];
      const cell = typer === undefined ? text : typer(text);
      if (cell === INVALID_CELL) return this.invalidCell(row, position, k, text);
      cells[k] = cell;
    }
    const value = this.makeRecord!(cells) as T;
    // A copy: the window is a reused read buffer.
    return this.options.keepRaw ? { kind: 'record', value, position, raw: Buffer.from(row.bytes()) } : { kind: 'record', value, position };
  }

  /** The reject of a row whose cell `k` does not fit its column type, with the type's reason. */
  private invalidCell(row: CsvScannedRow, position: Position, k: number, text: string): SourceRecord<T> {
    const column = this.header![k]!;
    const cell = typeCell(text, this.options.types[column] ?? 'string');
    return this.reject(row, position, `column "${column}": ${cell.ok ? 'does not fit its type' : cell.reason}`);
  }

  private reject(row: CsvScannedRow, position: Position, problem: string): SourceRecord<T> {
    const where = row.startLine === row.endLine ? `line ${row.endLine}` : `lines ${row.startLine}-${row.endLine}`;
    return rejectOf(`CSV row on ${where}: ${problem}`, row.raw(), position, Buffer.from(row.bytes()));
  }
}
