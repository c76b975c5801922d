/** A source over a newline-delimited JSON file: one JSON value per line. */
import type { Position, SourceRecord, Source } from '../types.js';
import { fileSource, type ChunkParser, type FileSourceOptions } from './file-source.js';
import { parseJsonUnit } from './json-unit.js';
import { exactBytes } from './reject.js';

const LF = 0x0a;
const CR = 0x0d;

/** Options of {@link ndjsonSource}. */
export interface NdjsonSourceOptions extends FileSourceOptions {
  /**
   * Give each record its line's exact bytes (without the line end) as `raw` (default false): a
   * record the pipeline's schema refuses then goes to the dead letters as it was read, not
   * re-serialised from its value. Costs a copy of every line.
   */
  keepRaw?: boolean;
}

/**
 * Reads `options.path` line by line, each non-blank line one JSON value. CRLF and LF line ends are
 * accepted, blank lines are skipped, a last line without a newline counts. A line that is not
 * valid JSON becomes a reject with its line number and reading goes on. Positions are
 * `{ offset, line, index }` with `offset` just past the line's newline; `read(position)` goes on
 * with the next line.
 */
export function ndjsonSource<T = unknown>(options: NdjsonSourceOptions): Source<T> {
  return fileSource<T>('NDJSON', options, (file, resume) => ({
    offset: resume?.offset ?? file.contentStart,
    parser: new NdjsonParser<T>((resume?.line ?? 0) + 1, (resume?.index ?? -1) + 1, options.keepRaw === true),
  }));
}

/** Splits NDJSON bytes at newlines and parses each line; see {@link ChunkParser}. */
export class NdjsonParser<T> implements ChunkParser<T> {
  /** Bytes at the start of the next window already searched for a newline. */
  private scanned = 0;

  /**
   * @param line 1-based number of the first line this parser meets
   * @param index index of the first record it yields
   * @param keepRaw give each record its line's bytes as `raw`
   */
  constructor(
    private line: number,
    private index: number,
    private readonly keepRaw = false,
  ) {}

  /** Emits the complete lines of `window`; see {@link ChunkParser.parse}. */
  parse(window: Buffer, windowOffset: number, out: SourceRecord<T>[]): number {
    let start = 0;
    let newline = window.indexOf(LF, this.scanned);
    while (newline >= 0) {
      this.take(window, start, newline, windowOffset, out);
      start = newline + 1;
      newline = window.indexOf(LF, start);
    }
    this.scanned = window.length - start;
    return start;
  }

  /** Handles the end of the file; see {@link ChunkParser.finish}. */
  finish(rest: Buffer, restOffset: number, out: SourceRecord<T>[]): void {
    if (rest.length > 0) this.take(rest, 0, rest.length, restOffset, out);
  }

  /**
   * Handles the line `bytes[start, end)` (without its newline; `bytes` starts at input offset
   * `bytesOffset`). Its position's offset is just past its newline, or its end at the end of input.
   */
  private take(bytes: Buffer, start: number, end: number, bytesOffset: number, out: SourceRecord<T>[]): void {
    const line = this.line++;
    const stop = end > start && bytes[end - 1] === CR ? end - 1 : end;
    if (isBlank(bytes, start, stop)) return;
    const next = bytesOffset + Math.min(end + 1, bytes.length);
    const position: Position = { offset: next, line, index: this.index++ };
    const record = parseJsonUnit<T>(bytes, start, stop, bytesOffset, position, `line ${line}`);
    if (this.keepRaw && record.kind === 'record') record.raw = exactBytes(bytes, start, stop);
    out.push(record);
  }
}

/** Whether `bytes[start, end)` holds only spaces and tabs. */
function isBlank(bytes: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = bytes[i];
    if (c !== 0x20 && c !== 0x09) return false;
  }
  return true;
}
