/**
 * Reading a webhook body: a JSON array of records, or NDJSON (one record per line), as bytes. A
 * leading byte order mark is skipped; a record whose bytes are not UTF-8 is refused by its index,
 * never decoded into U+FFFD. Pure.
 */
import { contentStart, notUtf8, rawText, skipSpace } from './body-bytes.js';
import { parseArrayBody } from './ingest-array.js';

/** One invalid record of a request: its 0-based index among the body's records, and why. */
export interface RecordError {
  index: number;
  /** 1-based line of the record, for NDJSON bodies. */
  line?: number;
  reason: string;
  /** The record's raw text, when it could not be parsed. */
  raw?: string;
}

/** The parsed records of a body, and those that could not be parsed. */
export interface ParsedBody {
  values: { index: number; value: unknown }[];
  errors: RecordError[];
}

/** The records of an NDJSON body, and how many of its lines were refused for bytes that are not UTF-8. */
export interface ParsedNdjson extends ParsedBody {
  notUtf8: number;
}

const hint = 'send a JSON array of records ([{…},{…}]) or one JSON record per line (NDJSON)';
const NEWLINE = 0x0a;
const RETURN = 0x0d;
const OPEN_BRACKET = 0x5b;

/**
 * Splits an NDJSON body into values from byte `start` on; lines that are not UTF-8 or not JSON
 * become errors with their line (blank lines are skipped, but counted as lines).
 */
export function parseNdjsonBody(body: Buffer, start = contentStart(body)): ParsedNdjson {
  const parsed: ParsedNdjson = { values: [], errors: [], notUtf8: 0 };
  let index = 0;
  for (let from = start, line = 1; from <= body.length; line++) {
    const newline = body.indexOf(NEWLINE, from);
    const next = newline < 0 ? body.length : newline;
    const end = next > from && body[next - 1] === RETURN ? next - 1 : next;
    const lineStart = from;
    from = next + 1;
    if (skipSpace(body, lineStart) >= end) continue;
    const undecodable = notUtf8(body, lineStart, end, `line ${line}`);
    if (undecodable !== undefined) {
      parsed.notUtf8++;
      parsed.errors.push({ index: index++, line, reason: undecodable, raw: rawText(body, lineStart, end) });
      continue;
    }
    const text = body.toString('utf8', lineStart, end);
    try {
      parsed.values.push({ index, value: JSON.parse(text) as unknown });
    } catch (error) {
      parsed.errors.push({ index, line, reason: `line ${line} is not valid JSON: ${(error as Error).message}`, raw: rawText(body, lineStart, end) });
    }
    index++;
  }
  return parsed;
}

/** Why a body with no record on any line is refused: one JSON document over several lines, or no JSON at all. */
function notNdjson(body: Buffer, start: number, ndjson: ParsedNdjson): string {
  const text = body.toString('utf8', start).trim();
  try {
    const whole: unknown = JSON.parse(text);
    const lines = text.split('\n').length;
    return `the body is one JSON ${whole === null ? 'null' : typeof whole} spread over several lines (lines 1 to ${lines}), not an array or NDJSON`;
  } catch {
    return `the body is neither a JSON array nor NDJSON: no line of it is JSON (${ndjson.errors[0]?.reason ?? 'no record'})`;
  }
}

/**
 * The records of a body, or the reason the body as a whole is unusable (answered with 400): empty,
 * a JSON array that is cut short or followed by more content, a single non-array JSON document, or
 * text in which no line is JSON. Each reason names where the body is broken, and what to send.
 */
export function parseIngestBody(body: Buffer): ParsedBody | string {
  const start = contentStart(body);
  const first = skipSpace(body, start);
  if (first === body.length) return `the body is empty: ${hint}`;
  if (body[first] === OPEN_BRACKET) {
    const array = parseArrayBody(body, first);
    return typeof array === 'string' ? `${array}: ${hint}` : array;
  }
  const ndjson = parseNdjsonBody(body, start); // from the first line, so line numbers are the sender's
  if (ndjson.values.length > 0 || ndjson.notUtf8 > 0) return ndjson;
  return `${notNdjson(body, start, ndjson)}: ${hint}`;
}
