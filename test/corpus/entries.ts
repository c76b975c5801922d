/**
 * The building blocks of the bad-input corpus: an entry is one record's text in the JSON formats
 * (NDJSON, JSON array, webhook bodies, HTTP stream) and in CSV, with what it must turn into in each
 * format — a row of the example's `metrics` table, a reject whose reason matches, or nothing of its
 * own because the malformed entry before it runs on over it.
 */
import { epochMillis } from '@sluice/core';

/** The file formats of the corpus; the webhook and the HTTP source read the JSON texts. */
export type Format = 'ndjson' | 'json' | 'csv';
/** Every file format, in the order tests go through them. */
export const FORMATS: readonly Format[] = ['ndjson', 'json', 'csv'];

/** A row of the example's `metrics` table: the id as JSON text, time in epoch ms. */
export interface MetricRow {
  parameter: string;
  time: number;
  val: number;
}

/** What an entry must become in one format. */
export type Outcome =
  | { kind: 'row'; row: MetricRow }
  | { kind: 'reject'; reason: RegExp }
  /** Read as part of the reject before it (an unterminated string or quote runs on to the end). */
  | { kind: 'swallowed' };

/** One record of a corpus case. */
export interface Entry {
  /** Its text in the JSON formats and in CSV; a missing text leaves the entry out of that format. */
  text: { json?: Buffer; csv?: Buffer };
  outcome: Partial<Record<Format, Outcome>>;
}

/** Text or raw bytes (invalid UTF-8 needs bytes). */
export type Bytes = string | Buffer;

/** Event times of the corpus start here (epoch seconds, November 2023). */
export const T0 = 1_700_000_000;

/** `text` as bytes. */
export function toBytes(text: Bytes): Buffer {
  return typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
}

/** Bytes made of text and raw byte values, e.g. `bytes('"p', [0xff], '"')`. */
export function bytes(...parts: (string | readonly number[])[]): Buffer {
  return Buffer.concat(parts.map((part) => (typeof part === 'string' ? Buffer.from(part, 'utf8') : Buffer.from(part))));
}

/** A CSV field, quoted when it needs to be. */
export function csvField(value: string | number): string {
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** The row a valid metric lands as, from the id as the format yields it. */
export function metricRow(id: string | number, val: number, time: number): MetricRow {
  return { parameter: JSON.stringify(id), time: epochMillis(time), val };
}

/** Options of {@link valid}: other texts for the same record (extra fields, other spellings). */
export interface ValidTexts {
  json?: Bytes;
  csv?: Bytes;
  /** Leave the entry out of the CSV file (a record CSV cannot express). */
  noCsv?: boolean;
}

/**
 * A valid metric `{id, val, time}`. In CSV the id stays text (`"7"`), in JSON it is kept as given;
 * both land as a row.
 */
export function valid(id: string | number, val: number, time: number, texts: ValidTexts = {}): Entry {
  const json = toBytes(texts.json ?? JSON.stringify({ id, val, time }));
  const csv = texts.noCsv ? undefined : toBytes(texts.csv ?? [id, val, time].map(csvField).join(','));
  const jsonRow: Outcome = { kind: 'row', row: metricRow(id, val, time) };
  return {
    text: { json, ...(csv ? { csv } : {}) },
    outcome: { ndjson: jsonRow, json: jsonRow, ...(csv ? { csv: { kind: 'row', row: metricRow(String(id), val, time) } } : {}) },
  };
}

/** Expected reject reasons: one pattern for every format, or one per format. */
export type ReasonSpec = RegExp | Partial<Record<Format, RegExp>>;

/**
 * A record that must be rejected with a reason matching `reason`, in every format it has a text
 * for. A JSON text serves NDJSON and the JSON array; a per-format spec may leave one out.
 */
export function invalid(text: { json?: Bytes; csv?: Bytes }, reason: ReasonSpec): Entry {
  const reasonFor = (format: Format): RegExp | undefined => (reason instanceof RegExp ? reason : reason[format]);
  const outcome: Partial<Record<Format, Outcome>> = {};
  const entryText: Entry['text'] = {};
  if (text.json !== undefined) entryText.json = toBytes(text.json);
  if (text.csv !== undefined) entryText.csv = toBytes(text.csv);
  for (const format of FORMATS) {
    const pattern = reasonFor(format);
    const has = format === 'csv' ? entryText.csv : entryText.json;
    if (pattern && has) outcome[format] = { kind: 'reject', reason: pattern };
  }
  return { text: entryText, outcome };
}

/** One record written two ways: `json` gives the JSON text and outcomes, `csv` the CSV ones. */
export function split(json: Entry, csv: Entry): Entry {
  return {
    text: { ...(json.text.json ? { json: json.text.json } : {}), ...(csv.text.csv ? { csv: csv.text.csv } : {}) },
    outcome: { ndjson: json.outcome.ndjson, json: json.outcome.json, csv: csv.outcome.csv },
  };
}

/** `entry` with its outcome in `formats` replaced by "swallowed by the reject before it". */
export function swallowedIn(entry: Entry, ...formats: Format[]): Entry {
  const outcome = { ...entry.outcome };
  for (const format of formats) outcome[format] = { kind: 'swallowed' };
  return { ...entry, outcome };
}

/** `count` valid metrics with distinct keys, ids `<prefix>0…`, times from `T0 + first`. */
export function validRun(prefix: string, count: number, first = 0): Entry[] {
  return Array.from({ length: count }, (_, k) => valid(`${prefix}${k}`, (first + k) / 4, T0 + first + k));
}
