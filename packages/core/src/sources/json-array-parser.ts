/**
 * A streaming scanner for one top-level JSON array. It walks the bytes once with a small state
 * machine (nesting depth, inside-string, escape) to find where each element starts and ends, then
 * `JSON.parse`s the elements a few hundred at a time, falling back to one call per element only
 * when that fails, to find the malformed ones. Memory stays bounded by the chunk and one element.
 * Nothing recurses on the input's depth: an element nested deeper than `maxDepth` levels is
 * refused by the scanner (a counter), before anything parses it or a later step (`JSON.stringify`,
 * a deep copy) could overflow the stack on it.
 */
import type { Position, SourceRecord } from '../types.js';
import type { ChunkParser } from './file-source.js';
import { parseJsonUnit } from './json-unit.js';
import { exactBytes, rawFromBytes, rejectOf } from './reject.js';
import { isUtf8Range } from './utf8.js';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

/** What a byte means to the scanner inside an element (outside strings). */
const enum Kind {
  Plain,
  Quote,
  Open,
  CloseBrace,
  CloseBracket,
  Comma,
}

/** Byte → {@link Kind}: one table load per byte keeps the hot loop short. */
const BYTE_KIND = new Uint8Array(256);
BYTE_KIND[QUOTE] = Kind.Quote;
BYTE_KIND[OPEN_BRACE] = Kind.Open;
BYTE_KIND[OPEN_BRACKET] = Kind.Open;
BYTE_KIND[CLOSE_BRACE] = Kind.CloseBrace;
BYTE_KIND[CLOSE_BRACKET] = Kind.CloseBracket;
BYTE_KIND[COMMA] = Kind.Comma;

/**
 * Most elements parsed by one `JSON.parse` call. Parsing soon after scanning, in small groups,
 * keeps the bytes and the new objects in the CPU cache: measured faster than one call per chunk.
 */
const PARSE_GROUP = 512;

/** {@link skipString} ran out of bytes inside a string. */
const ENDS_IN_STRING = -1;
/** {@link skipString} ran out of bytes right after a backslash: the next byte is escaped. */
const ENDS_AFTER_ESCAPE = -2;

/** Index of the quote closing the string whose content starts at `from`, or a negative `ENDS_…` code. */
function skipString(window: Buffer, from: number): number {
  const n = window.length;
  let i = from;
  while (i < n) {
    const c = window[i]!;
    if (c === QUOTE) return i;
    i += c === BACKSLASH ? 2 : 1;
  }
  return i === n ? ENDS_IN_STRING : ENDS_AFTER_ESCAPE;
}

/** Scanner states, between and inside elements. */
const enum Mode {
  /** Before the opening `[`. */
  Before,
  /** After `[`: an element or `]`. */
  First,
  /** After `,`: an element. */
  Next,
  /** Inside an element. */
  Value,
  /** After an element: `,` or `]`. */
  After,
  /** After the closing `]`: only whitespace. */
  End,
}

/** Default most nesting levels of an element (`[[1]]` has 2): far beyond any record, far below a stack overflow. */
export const DEFAULT_MAX_DEPTH = 1000;

/** Where a scan inside an element stands when a window ends. */
interface ScanState {
  /** Open brackets and braces. */
  depth: number;
  /** Most nesting levels allowed. */
  maxDepth: number;
  /** The element went deeper than `maxDepth` somewhere. */
  tooDeep: boolean;
  /** Inside a string. */
  inString: boolean;
  /** Inside a string, right after a backslash. */
  escaped: boolean;
}

/**
 * Scans an element from `from` for the `,` or `]` that ends it at depth 0 and returns its index,
 * or -1 when the window ends first (then `state` holds where the scan stands).
 */
function scanElement(window: Buffer, from: number, state: ScanState): number {
  const n = window.length;
  let i = from;
  if (state.inString) {
    const quote = skipString(window, i + (state.escaped ? 1 : 0));
    if (quote < 0) {
      state.escaped = quote === ENDS_AFTER_ESCAPE;
      return -1;
    }
    state.inString = false;
    i = quote + 1;
  }
  let depth = state.depth;
  for (; i < n; i++) {
    const kind = BYTE_KIND[window[i]!]!;
    if (kind === Kind.Plain) continue;
    if (kind === Kind.Quote) {
      const quote = skipString(window, i + 1);
      if (quote < 0) {
        state.inString = true;
        state.escaped = quote === ENDS_AFTER_ESCAPE;
        break;
      }
      i = quote;
    } else if (kind === Kind.Open) {
      if (++depth > state.maxDepth) state.tooDeep = true;
    } else if (kind === Kind.CloseBrace) {
      if (depth > 0) depth--;
    } else if (kind === Kind.CloseBracket) {
      if (depth === 0) break;
      depth--;
    } else if (depth === 0) {
      break;
    }
  }
  state.depth = depth;
  return i < n && !state.inString ? i : -1;
}

/** Whether `byte` is JSON whitespace. */
function isSpace(byte: number): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}

/** Parses a JSON array, or its rest after a resume position; see {@link ChunkParser}. */
export class JsonArrayParser<T> implements ChunkParser<T> {
  /** Set once the content turned out not to be (the rest of) a JSON array: nothing more is read. */
  stopped = false;
  private mode: Mode;
  private index: number;
  /** Bytes at the start of the next window that were scanned already (a cut element). */
  private scanned = 0;
  private readonly scan: ScanState;
  /** Element ranges found in the current window and not yet parsed (at most {@link PARSE_GROUP}). */
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];
  /** Where {@link parse} reports the start of each item, during one call. */
  private spans: number[] | undefined;

  /**
   * @param resume true to start "after an element", expecting `,` or `]` (a resume position)
   * @param firstIndex index of the first element this parser meets
   * @param options `maxDepth`: most nesting levels of an element (default {@link DEFAULT_MAX_DEPTH});
   *   a deeper one is a reject, never parsed
   */
  constructor(resume: boolean, firstIndex: number, options: { maxDepth?: number } = {}) {
    this.mode = resume ? Mode.After : Mode.Before;
    this.index = firstIndex;
    const maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
    if (!Number.isSafeInteger(maxDepth) || maxDepth < 1) throw new RangeError(`maxDepth must be a whole number ≥ 1, got ${maxDepth}`);
    this.maxDepth = maxDepth;
    this.scan = { depth: 0, maxDepth, tooDeep: false, inString: false, escaped: false };
  }

  /** Most nesting levels of an element. */
  readonly maxDepth: number;

  /**
   * Whether the JSON text `bytes[start, end)` nests deeper than `maxDepth` levels (strings are
   * skipped; one pass, no recursion): for checking one value read some other way, e.g. an NDJSON line.
   */
  static deeperThan(bytes: Buffer, start: number, end: number, maxDepth: number): boolean {
    const state: ScanState = { depth: 0, maxDepth, tooDeep: false, inString: false, escaped: false };
    // Closing brackets at depth 0 end scanElement early: go on after them.
    let i = start;
    const window = bytes.subarray(0, end);
    while (i < end && !state.tooDeep) {
      const stop = scanElement(window, i, state);
      if (stop < 0) break;
      i = stop + 1;
    }
    return state.tooDeep;
  }

  /**
   * Emits the complete elements of `window`; see {@link ChunkParser.parse}. With `spans`, the
   * absolute byte offset where each emitted item starts is pushed to it (its end is the item's
   * `position.offset`), so a caller can keep the exact bytes of a refused element.
   */
  parse(window: Buffer, windowOffset: number, out: SourceRecord<T>[], spans?: number[]): number {
    this.spans = spans;
    const n = window.length;
    let i = this.scanned;
    let mode = this.mode;
    // In Value mode at the start of a window the cut element starts the window (it was carried).
    let start = 0;
    while (i < n && !this.stopped) {
      if (mode === Mode.Value) {
        const stop = scanElement(window, i, this.scan);
        if (stop < 0) {
          i = n;
          break;
        }
        i = stop;
        let end = i;
        while (end > start && isSpace(window[end - 1]!)) end--;
        if (this.scan.tooDeep) {
          this.scan.tooDeep = false;
          this.flush(window, windowOffset, out);
          this.spans?.push(windowOffset + start);
          const position = { offset: windowOffset + end, index: this.index++ };
          out.push(
            rejectOf(`element ${position.index} of the JSON array is nested deeper than ${this.maxDepth} levels; flatten it`, rawFromBytes(window, start, end), position, exactBytes(window, start, end)),
          );
        } else {
          this.starts.push(start);
          if (this.ends.push(end) === PARSE_GROUP) this.flush(window, windowOffset, out);
        }
        mode = window[i] === COMMA ? Mode.Next : Mode.End;
        i++;
        continue;
      }
      const c = window[i]!;
      if (isSpace(c)) {
        i++;
        continue;
      }
      if (mode === Mode.Before && c === OPEN_BRACKET) {
        mode = Mode.First;
        i++;
      } else if (mode === Mode.Before || mode === Mode.End) {
        this.flush(window, windowOffset, out);
        const reason =
          mode === Mode.Before
            ? 'content does not start with "[": this is not a JSON array. Give the path of a JSON array file, or read NDJSON with ndjsonSource'
            : 'unexpected content after the closing "]" of the JSON array; remove it';
        this.spans?.push(windowOffset + i);
        out.push(this.stop(reason, window, i, windowOffset));
      } else if (c === COMMA || c === CLOSE_BRACKET) {
        if (mode === Mode.Next || (mode === Mode.First && c === COMMA)) {
          this.flush(window, windowOffset, out);
          const what = c === COMMA ? 'an empty element (two commas in a row)' : 'a comma before the closing "]"';
          this.spans?.push(windowOffset + i);
          out.push(rejectOf(`element ${this.index} of the JSON array is ${what}; remove the extra comma`, '', this.position(windowOffset + i)));
        }
        mode = c === COMMA ? Mode.Next : Mode.End;
        i++;
      } else {
        // An element starts. In After mode this is not where an element ends (a stale resume
        // offset): what follows is read as an element, so it surfaces as a reject with its text.
        mode = Mode.Value;
        start = i;
      }
    }
    this.mode = mode;
    this.flush(window, windowOffset, out);
    if (this.stopped) return n;
    const consumed = mode === Mode.Value ? start : n;
    this.scanned = n - consumed;
    return consumed;
  }

  /** Handles the end of the file; see {@link ChunkParser.finish}; `spans` as in {@link parse}. */
  finish(rest: Buffer, restOffset: number, out: SourceRecord<T>[], spans?: number[]): void {
    if (this.stopped) return;
    const end = restOffset + rest.length;
    // A cut element starts the rest (it was carried); the other ends have no bytes of their own.
    if (this.mode !== Mode.End) spans?.push(this.mode === Mode.Value ? restOffset : end);
    switch (this.mode) {
      case Mode.Before:
        out.push(rejectOf('the file is empty: expected a JSON array "[ … ]"', '', this.position(end)));
        break;
      case Mode.Value:
        out.push(
          rejectOf(
            `the file ends inside element ${this.index} of the JSON array (truncated file, or an unterminated string or bracket); the cut tail is not read`,
            rawFromBytes(rest, 0, rest.length),
            this.position(end),
          ),
        );
        break;
      case Mode.First:
      case Mode.Next:
      case Mode.After:
        out.push(rejectOf('the file ends before the closing "]" of the JSON array (truncated file)', '', this.position(end)));
        break;
      case Mode.End:
        break;
    }
  }

  private position(offset: number): Position {
    return { offset, index: this.index++ };
  }

  /** A reject for content that ends reading: the rest of the file is not looked at. */
  private stop(reason: string, window: Buffer, at: number, windowOffset: number): SourceRecord<T> {
    this.stopped = true;
    return rejectOf(reason, rawFromBytes(window, at, window.length), this.position(windowOffset + at));
  }

  /**
   * Emits the elements found so far: one UTF-8 check and one `JSON.parse` for all, one of each per
   * element if either fails.
   */
  private flush(window: Buffer, windowOffset: number, out: SourceRecord<T>[]): void {
    const { starts, ends } = this;
    const count = starts.length;
    if (count === 0) return;
    let values: unknown[] | undefined;
    const first = starts[0]!;
    const last = ends[count - 1]!;
    if (isUtf8Range(window, first, last)) {
      try {
        const parsed: unknown = JSON.parse(`[${window.toString('utf8', first, last)}]`);
        if (Array.isArray(parsed) && parsed.length === count) values = parsed;
      } catch {
        // Some element is malformed: find it below, element by element.
      }
    }
    for (let k = 0; k < count; k++) {
      const position = { offset: windowOffset + ends[k]!, index: this.index++ };
      this.spans?.push(windowOffset + starts[k]!);
      out.push(
        values
          ? { kind: 'record', value: values[k] as T, position }
          : parseJsonUnit<T>(window, starts[k]!, ends[k]!, windowOffset, position, `element ${position.index} of the JSON array`),
      );
    }
    starts.length = 0;
    ends.length = 0;
  }
}
