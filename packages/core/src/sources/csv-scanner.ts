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

/** One row the scanner found. */
export interface CsvScannedRow {
  /** The fields, unquoted and unescaped; none when the row has a `problem`. */
  fields: string[];
  /** Why the row is malformed (e.g. text after a closing quote), if it is. */
  problem?: string;
  /** 1-based lines the row starts and ends on (they differ when a quoted field holds newlines). */
  startLine: number;
  endLine: number;
  /** Absolute byte offset just past the row and its line end. */
  endOffset: number;
  /** The row's raw bytes, for rejects. */
  raw(): string;
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
  /** Field boundaries of the current row, relative to the row's first byte. */
  private readonly fieldStarts: number[] = [];
  private readonly fieldEnds: number[] = [];
  private readonly fieldEscaped: boolean[] = [];

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
    for (let i = this.scanned; i < n; i++) {
      const c = window[i]!;
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
            if (c !== CR) this.problem ??= `unexpected character "${String.fromCharCode(c)}" after the closing quote of field ${this.fieldStarts.length + 1}; quote the whole field and double the quotes inside it`;
            this.state = State.Closed;
          }
          break;
      }
      if (fieldEnd < 0) continue;
      this.pushField(rowStart, fieldEnd);
      if (c === LF) {
        const go = this.endRow(window, windowOffset, rowStart, i + 1, onRow);
        rowStart = i + 1;
        if (go === false) {
          this.scanned = 0;
          return rowStart;
        }
      }
    }
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
        this.problem ??= `the file ends inside quoted field ${this.fieldStarts.length + 1} (a missing closing quote); close the quote`;
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
    this.fieldStarts.push(this.fieldStart - rowStart);
    this.fieldEnds.push(end - rowStart);
    this.fieldEscaped.push(this.state !== State.Unquoted && this.escapedQuotes);
    this.escapedQuotes = false;
    this.state = State.FieldStart;
  }

  private endRow(window: Buffer, windowOffset: number, rowStart: number, rowEnd: number, onRow: CsvRowHandler): boolean | void {
    const startLine = this.rowStartLine;
    const endLine = this.line;
    this.line++;
    this.rowStartLine = this.line;
    // Bytes that are not UTF-8 make the row a reject; its fields are not decoded into U+FFFD.
    this.problem ??= utf8Problem(window, rowStart, rowEnd, windowOffset);
    const count = this.problem === undefined ? this.fieldStarts.length : 0;
    const fields = new Array<string>(count);
    for (let k = 0; k < count; k++) {
      const text = window.toString('utf8', rowStart + this.fieldStarts[k]!, rowStart + this.fieldEnds[k]!);
      fields[k] = this.fieldEscaped[k] ? text.replaceAll('""', '"') : text;
    }
    const problem = this.problem;
    this.problem = undefined;
    this.clearFields();
    if (isLineEnd(window, rowStart, rowEnd)) return true; // a blank line
    return onRow({
      fields,
      ...(problem === undefined ? {} : { problem }),
      startLine,
      endLine,
      endOffset: windowOffset + rowEnd,
      raw: () => rawFromBytes(window, rowStart, rowEnd),
    });
  }

  private clearFields(): void {
    this.fieldStarts.length = 0;
    this.fieldEnds.length = 0;
    this.fieldEscaped.length = 0;
  }
}

/** Whether `bytes[start, end)` is an empty line: nothing but an optional CR and LF. */
function isLineEnd(bytes: Buffer, start: number, end: number): boolean {
  if (end - start > 2) return false;
  for (let i = start; i < end; i++) if (bytes[i] !== CR && bytes[i] !== LF) return false;
  return true;
}
