/** Reading a webhook body: a JSON array of records, or NDJSON (one record per line). Pure. */

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

const hint = 'send a JSON array of records ([{…},{…}]) or one JSON record per line (NDJSON)';

/** Splits an NDJSON body into values; unparsable lines become errors (blank lines are skipped). */
export function parseNdjsonBody(body: string): ParsedBody {
  const values: ParsedBody['values'] = [];
  const errors: RecordError[] = [];
  let index = 0;
  body.split('\n').forEach((line, i) => {
    const text = line.endsWith('\r') ? line.slice(0, -1) : line;
    if (text.trim() === '') return;
    try {
      values.push({ index, value: JSON.parse(text) as unknown });
    } catch (error) {
      errors.push({ index, line: i + 1, reason: `line ${i + 1} is not valid JSON: ${(error as Error).message}`, raw: text.slice(0, 1000) });
    }
    index++;
  });
  return { values, errors };
}

/**
 * The records of a body, or the reason the body as a whole is unusable (answered with 400): empty,
 * an invalid JSON array, a single non-array JSON document, or text in which no line is JSON.
 */
export function parseIngestBody(body: string): ParsedBody | string {
  const text = body.trim();
  if (text === '') return `the body is empty: ${hint}`;
  if (text.startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      return `the body starts with "[" but is not a valid JSON array (${(error as Error).message}): ${hint}`;
    }
    if (Array.isArray(parsed)) return { values: parsed.map((value: unknown, index) => ({ index, value })), errors: [] };
  }
  const ndjson = parseNdjsonBody(body); // the untrimmed body, so line numbers are the sender's
  if (ndjson.values.length > 0) return ndjson;
  try {
    const whole: unknown = JSON.parse(text);
    return `the body is one JSON ${whole === null ? 'null' : typeof whole} spread over several lines, not an array or NDJSON: ${hint}`;
  } catch {
    return `the body is neither a JSON array nor NDJSON (no line of it is JSON; it starts with ${JSON.stringify(text.slice(0, 40))}): ${hint}`;
  }
}
