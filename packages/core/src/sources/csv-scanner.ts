/**
 * Splits CSV bytes (RFC 4180) into rows of fields with one byte-level state machine: quoted fields
 * may hold delimiters, doubled quotes and newlines; rows end with LF or CRLF. Rows can be cut by a
 * chunk boundary: the scanner keeps its state and the caller carries the row's bytes over.
 */

import { rawFromBytes } from './reject.js';
import { utf8Problem } from './utf8.js';

const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;

/** Where the scanner stands within a row. */
const enum State {
  /** At the start of a field. */
  FieldStart,
  /** Inside an unquoted field. */
  Unquoted,
  /** Inside a quoted field. */
  Quoted,
  /** Just after a quote inside a quoted field: a doubled quote or the closing one. */
  QuoteInQuoted,
  /** After the closing quote: only the delimiter or the row end may follow. */
  Closed,
}

/**
 * One row the scanner found. The scanner hands the same object to every call of the row handler
 * and changes it for the next row: read what you need inside the handler (take `fields()` to keep
 * the cells).
 */
export interface CsvScannedRow {
  /** Number of fields; 0 when the row has a `problem`. */
  readonly count: number;
  /** Field `k` (0-based), unquoted and unescaped. */
  field(k: number): string;
  /** Every field, as a new array. */
  fields(): string[];
  /** Why the row is malformed (e.g. text after a closing quote), if it is. */
  readonly problem: string | undefined;
  /** 1-based lines the row starts and ends on (they differ when a quoted field holds newlines). */
  readonly startLine: number;
  readonly endLine: number;
  /** Absolute byte offset of the row's first byte (after any blank lines before it). */
  readonly startOffset: number;
  /** Absolute byte offset just past the row and its line end. */
  readonly endOffset: number;
  /** The row's raw bytes, for rejects. */
  raw(): string;
  /** The row's exact bytes, line end included: a view of the scanned window, valid until the next scan. */
  bytes(): Buffer;
}

/**
 * The scanner's row view. An all-ASCII row (the usual case) is decoded once, and its fields are
 * cut from that string without further native calls; any other row is checked for UTF-8 and its
 * fields decoded one by one.
 */
class RowView implements CsvScannedRow {
  count = 0;
  problem: string | undefined;
  startLine = 0;
  endLine = 0;
  startOffset = 0;
  endOffset = 0;
  window: Buffer = Buffer.alloc(0);
  rowStart = 0;
  rowEnd = 0;
  /** The decoded row when it is all ASCII. */
  text: string | undefined;

  constructor(
    private readonly starts: number[],
    private readonly ends: number[],
    private readonly escaped: boolean[],
  ) {}

  field(k: number): string {
    const start = this.starts[k]!;
    const end = this.ends[k]!;
    const text =
      this.text === undefined ? this.window.toString('utf8', this.rowStart + start, this.rowStart + end) : this.text.slice(start, end);
    return this.escaped[k] ? text.replaceAll('""', '"') : text;
  }

  fields(): string[] {
    const fields = new Array<string>(this.count);
    for (let k = 0; k < this.count; k++) fields[k] = this.field(k);
    return fields;
  }

  raw(): string {
    return rawFromBytes(this.window, this.rowStart, this.rowEnd);
  }

  bytes(): Buffer {
    return this.window.subarray(this.rowStart, this.rowEnd);
  }
}

/** Called for each row; returning `false` stops the scan right after that row. */
export type CsvRowHandler = (row: CsvScannedRow) => boolean | void;

/** Scans CSV rows out of successive windows; see the module comment. */
export class CsvScanner {
  private state = State.FieldStart;
  /** Bytes at the start of the next window already scanned (the cut row, which the window starts with). */
  private scanned = 0;
  private fieldStart = 0;
  private quoteAt = 0;
  private escapedQuotes = false;
  private problem: string | undefined;
  private rowStartLine: number;
  /** Field boundaries of the current row, relative to the row's first byte (the first `fieldCount` count). */
  private readonly fieldStarts: number[] = [];
  private readonly fieldEnds: number[] = [];
  private readonly fieldEscaped: boolean[] = [];
  private fieldCount = 0;
  /** All bytes of the current row OR-ed together: below 0x80 means the row is ASCII. */
  private high = 0;
  private readonly row = new RowView(this.fieldStarts, this.fieldEnds, this.fieldEscaped);

  /**
   * @param delimiter the field separator byte (`,` by default)
   * @param line 1-based number of the first line the scanner meets
   */
  constructor(
    private readonly delimiter: number,
    private line: number,
  ) {
    this.rowStartLine = line;
  }

  /** Restarts at the beginning of a row on line `line` (after a seek). */
  reset(line: number): void {
    this.state = State.FieldStart;
    this.scanned = 0;
    this.problem = undefined;
    this.clearFields();
    this.line = line;
    this.rowStartLine = line;
  }

  /**
   * Scans `window` (absolute offset `windowOffset`) whose first byte starts a row, calling `onRow`
   * per complete row. Returns how many leading bytes hold complete rows (the rest is a cut row).
   */
  scan(window: Buffer, windowOffset: number, onRow: CsvRowHandler): number {
    const delimiter = this.delimiter;
    const n = window.length;
    let rowStart = 0;
    let high = this.high;
    bytes: for (let i = this.scanned; i < n; i++) {
      let c = window[i]!;
      if (this.state === State.Unquoted) {
        // The common case, in a tight loop: the rest of an unquoted field.
        while (c !== delimiter && c !== LF) {
          high |= c;
          if (++i === n) break bytes;
          c = window[i]!;
        }
      }
      high |= c;
      let fieldEnd = -1;
      switch (this.state) {
        case State.FieldStart:
          if (c === QUOTE) {
            this.state = State.Quoted;
            this.fieldStart = i + 1;
            this.escapedQuotes = false;
          } else if (c === delimiter || c === LF) {
            this.fieldStart = i;
            fieldEnd = i;
          } else {
            this.state = State.Unquoted;
            this.fieldStart = i;
          }
          break;
        case State.Unquoted:
          if (c === delimiter) fieldEnd = i;
          else if (c === LF) fieldEnd = i > this.fieldStart && window[i - 1] === CR ? i - 1 : i;
          break;
        case State.Quoted:
          if (c === QUOTE) {
            this.state = State.QuoteInQuoted;
            this.quoteAt = i;
          } else if (c === LF) {
            this.line++;
          }
          break;
        case State.QuoteInQuoted:
        case State.Closed:
          if (c === QUOTE && this.state === State.QuoteInQuoted) {
            this.state = State.Quoted;
            this.escapedQuotes = true;
          } else if (c === delimiter || c === LF) {
            fieldEnd = this.quoteAt;
          } else {
            if (c !== CR) this.problem ??= `unexpected character "${String.fromCharCode(c)}" after the closing quote of field ${this.fieldCount + 1}; quote the whole field and double the quotes inside it`;
            this.state = State.Closed;
          }
          break;
      }
      if (fieldEnd < 0) continue;
      this.pushField(rowStart, fieldEnd);
      if (c === LF) {
        this.high = high;
        const go = this.endRow(window, windowOffset, rowStart, i + 1, onRow);
        high = 0;
        rowStart = i + 1;
        if (go === false) {
          this.scanned = 0;
          return rowStart;
        }
      }
    }
    this.high = high;
    // The next window starts with the cut row: keep the field in progress relative to it.
    this.fieldStart -= rowStart;
    this.quoteAt -= rowStart;
    this.scanned = n - rowStart;
    return rowStart;
  }

  /**
   * At the end of the input: handles the cut row in `rest` (absolute offset `restOffset`), a last
   * row without line end, or one inside an unterminated quoted field.
   */
  finish(rest: Buffer, restOffset: number, onRow: CsvRowHandler): void {
    const n = rest.length;
    if (n === 0) return;
    switch (this.state) {
      case State.FieldStart:
        this.fieldStart = n;
        this.pushField(0, n);
        break;
      case State.Unquoted:
        this.pushField(0, rest[n - 1] === CR ? n - 1 : n);
        break;
      case State.Quoted:
        this.problem ??= `the file ends inside quoted field ${this.fieldCount + 1} (a missing closing quote); close the quote`;
        this.pushField(0, n);
        break;
      case State.QuoteInQuoted:
      case State.Closed:
        this.pushField(0, this.quoteAt);
        break;
    }
    this.endRow(rest, restOffset, 0, n, onRow);
  }

  /** Records the current field, from `fieldStart` to `end`, in the row starting at `rowStart`. */
  private pushField(rowStart: number, end: number): void {
    const k = this.fieldCount++;
    this.fieldStarts[k] = this.fieldStart - rowStart;
    this.fieldEnds[k] = end - rowStart;
    this.fieldEscaped[k] = this.state !== State.Unquoted && this.escapedQuotes;
    this.escapedQuotes = false;
    this.state = State.FieldStart;
  }

  private endRow(window: Buffer, windowOffset: number, rowStart: number, rowEnd: number, onRow: CsvRowHandler): boolean | void {
    const row = this.row;
    row.startLine = this.rowStartLine;
    row.endLine = this.line;
    this.line++;
    this.rowStartLine = this.line;
    const ascii = this.high < 0x80;
    let problem = this.problem;
    // Bytes that are not UTF-8 make the row a reject; its fields are not decoded into U+FFFD.
    if (!ascii) problem ??= utf8Problem(window, rowStart, rowEnd, windowOffset);
    const count = problem === undefined ? this.fieldCount : 0;
    this.problem = undefined;
    this.clearFields();
    if (isLineEnd(window, rowStart, rowEnd)) return true; // a blank line
    row.count = count;
    row.problem = problem;
    row.startOffset = windowOffset + rowStart;
    row.endOffset = windowOffset + rowEnd;
    row.window = window;
    row.rowStart = rowStart;
    row.rowEnd = rowEnd;
    row.text = ascii && count > 0 ? window.toString('latin1', rowStart, rowEnd) : undefined;
    return onRow(row);
  }

  private clearFields(): void {
    this.fieldCount = 0;
    this.high = 0;
  }
}

/** Whether `bytes[start, end)` is an empty line: nothing but an optional CR and LF. */
function isLineEnd(bytes: Buffer, start: number, end: number): boolean {
  if (end - start > 2) return false;
  for (let i = start; i < end; i++) if (bytes[i] !== CR && bytes[i] !== LF) return false;
  return true;
}
