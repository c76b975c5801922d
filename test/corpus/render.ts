/**
 * Turns a corpus case into the bytes of one format and the outcome expected of them: the rows that
 * must land and the rejects that must be dead-lettered, each with the index, line and byte range of
 * its record so a test can check the position a reject names.
 */
import { toBytes, type Bytes, type Entry, type Format, type MetricRow } from './entries.js';

/** One case of the corpus. */
export interface CorpusCase {
  name: string;
  entries: readonly Entry[];
  /** Starts the file with a UTF-8 byte order mark. */
  bom?: boolean;
  /** Line end between records (default LF). */
  newline?: '\n' | '\r\n';
  /** The file ends inside the last entry: no line end after it, no closing bracket. */
  cut?: boolean;
  /** CSV header row (default `id,val,time`). */
  csvHeader?: string;
  /**
   * The whole file instead of entries (empty files), the reject each format must yield for it, and
   * the error a format may fail with instead, naming what is wrong (nothing lands then).
   */
  whole?: { content: Bytes; rejects: Partial<Record<Format, RegExp>>; errors?: Partial<Record<Format, RegExp>> };
}

/** A reject the input must yield, and where its record sits. */
export interface ExpectedReject {
  reason: RegExp;
  /** 0-based index among the records of the input. */
  index: number;
  /** 1-based line the record ends on (NDJSON, CSV). */
  line?: number;
  /** Byte range of the record with its terminator; a reject's offset must fall inside it. */
  start: number;
  end: number;
  /** The record's own bytes (no terminator), which its dead letter must keep; absent when it runs on. */
  text?: Buffer;
}

/** A case in one format: the bytes, and what must come of them. */
export interface Rendered {
  content: Buffer;
  rows: MetricRow[];
  rejects: ExpectedReject[];
  /** When set, reading may fail with an error matching it instead (and then nothing lands). */
  error?: RegExp;
}

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/** Collects the bytes of a file and the byte range of each record written into it. */
class Writer {
  private readonly parts: Buffer[] = [];
  length = 0;

  push(text: Bytes): void {
    const part = toBytes(text);
    this.parts.push(part);
    this.length += part.length;
  }

  content(): Buffer {
    return Buffer.concat(this.parts);
  }
}

/** The bytes of `corpusCase` in `format` and what reading them must yield. */
export function render(corpusCase: CorpusCase, format: Format): Rendered {
  const out = new Writer();
  if (corpusCase.bom) out.push(BOM);
  if (corpusCase.whole) {
    out.push(corpusCase.whole.content);
    const reason = corpusCase.whole.rejects[format];
    const error = corpusCase.whole.errors?.[format];
    return { content: out.content(), rows: [], rejects: reason ? [{ reason, index: 0, start: 0, end: out.length }] : [], ...(error ? { error } : {}) };
  }
  const newline = corpusCase.newline ?? '\n';
  const texts = corpusCase.entries.flatMap((entry) => {
    const text = format === 'csv' ? entry.text.csv : entry.text.json;
    const outcome = entry.outcome[format];
    return text && outcome ? [{ text, outcome }] : [];
  });
  const firstLine = format === 'csv' ? 2 : 1;
  if (format === 'csv') out.push(`${corpusCase.csvHeader ?? 'id,val,time'}${newline}`);
  if (format === 'json') out.push(`[${newline}`);
  const rendered: Rendered = { content: Buffer.alloc(0), rows: [], rejects: [] };
  let index = 0;
  /** The reject an unterminated string or quote runs on from: it covers what it swallows. */
  let runsOn: ExpectedReject | undefined;
  texts.forEach(({ text, outcome }, k) => {
    const last = k === texts.length - 1;
    if (format === 'json' && k > 0) out.push(`,${newline}`);
    const start = out.length;
    out.push(text);
    if (format !== 'json' && !(last && corpusCase.cut)) out.push(newline);
    if (outcome.kind === 'row') rendered.rows.push(outcome.row);
    if (outcome.kind === 'reject') {
      rendered.rejects.push({ reason: outcome.reason, index, start, end: out.length + (format === 'json' ? 1 : 0), text, ...(format === 'json' ? {} : { line: firstLine + k }) });
    }
    if (outcome.kind === 'swallowed') {
      runsOn ??= rendered.rejects.at(-1);
    } else {
      index++;
    }
  });
  if (format === 'json' && !corpusCase.cut) out.push(`${newline}]${newline}`);
  rendered.content = out.content();
  if (runsOn) {
    // It ends where the file ends, and counts as a row ending on the last line or beyond.
    runsOn.end = out.length;
    delete runsOn.line;
    delete runsOn.text;
  }
  return rendered;
}

/** Whether the case has anything to read in `format` (entries with a text for it, or a whole file). */
export function appliesTo(corpusCase: CorpusCase, format: Format): boolean {
  if (corpusCase.whole) return true;
  return corpusCase.entries.some((entry) => (format === 'csv' ? entry.text.csv : entry.text.json) && entry.outcome[format]);
}
