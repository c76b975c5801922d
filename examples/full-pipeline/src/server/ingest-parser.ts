/**
 * Reading a webhook body chunk by chunk: a JSON array of records (core's streaming
 * `JsonArrayParser`) or NDJSON (one record per line), told apart by the first byte after any
 * byte order mark. Each item carries its exact bytes (a view of the current chunk window, valid
 * until the next `push`), so a refused record can be dead-lettered as it was sent. Nothing
 * recurses on the input: an element or line nested deeper than `maxDepth` is refused unparsed.
 * Memory is the current window: the chunks of a record not yet complete, and no more. Pure.
 */
import { JsonArrayParser, utf8Problem, type SourceRecord } from '@sluice/core';

/** One record of a body: its value, or why it was refused. */
export interface BodyItem {
  /** 0-based index among the body's records. */
  index: number;
  /** 1-based line (NDJSON). */
  line?: number;
  /** The parsed value; absent when `reason` says why the record could not be read. */
  value?: unknown;
  reason?: string;
  /** The window holding the record's bytes, `window[start, end)` exactly as sent: use before the next `push`. */
  window: Buffer;
  start: number;
  end: number;
  /** The bytes are not UTF-8 (so the body is NDJSON of some kind, not text that is no JSON at all). */
  notUtf8?: boolean;
}

/** A body that as a whole cannot be records (answered 400). */
export class BrokenBody {
  constructor(readonly reason: string) {}
}

const hint = 'send a JSON array of records ([{…},{…}]) or one JSON record per line (NDJSON)';
const NEWLINE = 0x0a;
const RETURN = 0x0d;
const OPEN_BRACKET = 0x5b;
/**
 * Most bytes parsed in one step: a step yields at most this many records (`[,,,…]` has one per
 * byte), so a request that will be stopped at its reject cap never builds more than that first.
 */
export const PARSE_STEP = 1024;

/** Bytes of the body kept to explain a body in which no line is JSON (small bodies only). */
const HEAD_BYTES = 64 * 1024;

function isSpace(byte: number): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}

/** Splits a webhook body into records as its chunks arrive. */
export class IngestBodyParser {
  /** `array` or `ndjson` once the first byte of content is known. */
  format: 'array' | 'ndjson' | undefined;
  /** Records (and refused records) seen so far. */
  count = 0;
  /** Set when a JSON array body is broken (cut short, or followed by more content): nothing after it is read. */
  broken: string | undefined;

  private readonly parts: Buffer[] = [];
  private partBytes = 0;
  /** Bytes of `parts[0]` already handed to a parser as the carried start of a window. */
  private carry: Buffer = Buffer.alloc(0);
  private carryOffset = 0;
  private received = 0;
  private head: Buffer[] = [];
  private headBytes = 0;
  private array: JsonArrayParser<unknown> | undefined;
  private line = 1;

  constructor(private readonly maxDepth: number) {}

  /** The records completed by `chunk` (give at most {@link PARSE_STEP} bytes at a time to bound the work of one call). */
  push(chunk: Buffer): BodyItem[] {
    if (this.headBytes < HEAD_BYTES) {
      this.head.push(chunk);
      this.headBytes += chunk.length;
    }
    this.received += chunk.length;
    this.parts.push(chunk);
    this.partBytes += chunk.length;
    // Parse once the new bytes are at least as many as the carried ones (or a step): each byte is
    // copied a bounded number of times however long a record is.
    if (this.partBytes < Math.max(PARSE_STEP, this.carry.length) && !this.hasNewline(chunk)) return [];
    return this.parse(false);
  }

  /** The records left at the end of the body, or why the body as a whole is not records. */
  end(): BodyItem[] | BrokenBody {
    const items = this.parse(true);
    if (this.format === undefined) return new BrokenBody(`the body is empty: ${hint}`);
    return items;
  }

  /** Why a body without one readable NDJSON record is refused (to answer 400 when nothing of it was kept). */
  notRecords(firstReason: string | undefined): string {
    if (this.received <= HEAD_BYTES) {
      const text = Buffer.concat(this.head).toString('utf8').replace(/^\uFEFF/, '').trim();
      try {
        const whole: unknown = JSON.parse(text);
        return `the body is one JSON ${whole === null ? 'null' : typeof whole} spread over several lines (lines 1 to ${text.split('\n').length}), not an array or NDJSON: ${hint}`;
      } catch {
        // Not JSON as a whole either.
      }
    }
    return `the body is neither a JSON array nor NDJSON: no line of it is JSON (${firstReason ?? 'no record'}): ${hint}`;
  }

  /** Whether NDJSON parsing would find a complete line in `chunk` (array parsing waits for a step). */
  private hasNewline(chunk: Buffer): boolean {
    return this.format !== 'array' && chunk.includes(NEWLINE);
  }

  private parse(final: boolean): BodyItem[] {
    const fresh = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.partBytes);
    this.parts.length = 0;
    this.partBytes = 0;
    const window = this.carry.length === 0 ? fresh : Buffer.concat([this.carry, fresh]);
    const windowOffset = this.carryOffset;
    const out: BodyItem[] = [];
    let consumed = 0;
    if (this.format === undefined) {
      let at = windowOffset === 0 && window.length >= 3 && window[0] === 0xef && window[1] === 0xbb && window[2] === 0xbf ? 3 : 0;
      while (at < window.length && isSpace(window[at]!)) at++;
      if (at === window.length) {
        // Only a byte order mark and white space so far: count its lines, keep at most the start of
        // the current line (so a body of white space costs nothing however long it is).
        const lastNewline = window.lastIndexOf(NEWLINE);
        if (lastNewline >= 0) {
          for (let i = window.indexOf(NEWLINE); i >= 0 && i <= lastNewline; i = window.indexOf(NEWLINE, i + 1)) this.line++;
        }
        let keep = lastNewline + 1;
        if (window.length - keep > HEAD_BYTES) keep = window.length - HEAD_BYTES;
        if (windowOffset === 0 && keep > 0 && keep < 3 && window[0] === 0xef) keep = 0; // keep a lone mark to recognise it
        this.carry = keep === 0 ? window : Buffer.from(window.subarray(keep));
        this.carryOffset = windowOffset + keep;
        return out;
      }
      this.format = window[at] === OPEN_BRACKET ? 'array' : 'ndjson';
      if (this.format === 'array') {
        this.array = new JsonArrayParser<unknown>(false, 0, { maxDepth: this.maxDepth });
        // The parser starts at the "[": the bytes before it are white space (and the mark).
        consumed = at;
      } else if (at >= 3 && window[0] === 0xef) {
        consumed = 3;
      }
    }
    consumed = this.format === 'array' ? this.parseArray(window, windowOffset, consumed, final, out) : this.parseLines(window, windowOffset, consumed, final, out);
    this.carry = window.subarray(consumed);
    // A carried view would pin the whole window: copy it once it is much smaller.
    if (this.carry.length > 0 && this.carry.length * 4 < window.length) this.carry = Buffer.from(this.carry);
    this.carryOffset = windowOffset + consumed;
    this.count += out.length;
    return out;
  }

  private parseArray(window: Buffer, windowOffset: number, from: number, final: boolean, out: BodyItem[]): number {
    const parser = this.array!;
    if (this.broken !== undefined) return window.length;
    const view = window.subarray(from);
    const viewOffset = windowOffset + from;
    const records: SourceRecord<unknown>[] = [];
    const spans: number[] = [];
    let consumed = parser.parse(view, viewOffset, records, spans);
    if (final && !parser.stopped) {
      parser.finish(view.subarray(consumed), viewOffset + consumed, records, spans);
      consumed = view.length;
    }
    for (let k = 0; k < records.length; k++) {
      const record = records[k]!;
      const start = spans[k]! - windowOffset;
      const end = Math.max(start, (record.position.offset ?? windowOffset + window.length) - windowOffset);
      const index = record.position.index ?? this.count + out.length;
      if (record.kind === 'record') {
        out.push({ index, value: record.value, window, start, end });
        continue;
      }
      // The parser speaks of files: a body is meant here.
      const reason = record.reason.includes('file') ? record.reason.replace(/\bfile\b/g, 'body') : record.reason;
      if ((parser.stopped || final) && /not a JSON array|after the closing|ends before the closing|ends inside element/.test(record.reason)) {
        this.broken = `${reason} (at byte ${record.position.offset ?? windowOffset + window.length})`;
      }
      out.push({ index, reason, window, start, end });
    }
    return from + consumed;
  }

  private parseLines(window: Buffer, windowOffset: number, from: number, final: boolean, out: BodyItem[]): number {
    let start = from;
    for (;;) {
      const newline = window.indexOf(NEWLINE, start);
      if (newline < 0 && !final) return start;
      const next = newline < 0 ? window.length : newline;
      if (next > start || newline >= 0) this.takeLine(window, windowOffset, start, next, out);
      if (newline < 0) return window.length;
      start = newline + 1;
    }
  }

  private takeLine(window: Buffer, windowOffset: number, start: number, next: number, out: BodyItem[]): void {
    const line = this.line++;
    const end = next > start && window[next - 1] === RETURN ? next - 1 : next;
    let first = start;
    while (first < end && isSpace(window[first]!)) first++;
    if (first >= end) return; // a blank line counts as a line, not as a record
    const index = this.count + out.length;
    const bytes = { window, start, end };
    const problem = utf8Problem(window, start, end, windowOffset);
    if (problem !== undefined) {
      out.push({ index, line, reason: `line ${line} is ${problem}`, ...bytes, notUtf8: true });
      return;
    }
    if (JsonArrayParser.deeperThan(window, start, end, this.maxDepth)) {
      out.push({ index, line, reason: `line ${line} is nested deeper than ${this.maxDepth} levels; flatten it`, ...bytes });
      return;
    }
    try {
      out.push({ index, line, value: JSON.parse(window.toString('utf8', start, end)) as unknown, ...bytes });
    } catch (error) {
      out.push({ index, line, reason: `line ${line} is not valid JSON: ${(error as Error).message}`, ...bytes });
    }
  }
}
