/** Parsing one piece of JSON text (an NDJSON line, a JSON-array element) into a record or a reject. */
import type { Position, SourceRecord } from '../types.js';
import { exactBytes, rawFromBytes, rejectOf } from './reject.js';
import { utf8Problem } from './utf8.js';

/**
 * `JSON.parse` of the bytes `bytes[start, end)` as a record at `position`, or a reject that names
 * `label` (e.g. `line 7`) and what is wrong when the bytes are not valid UTF-8 or not valid JSON.
 * `bytesOffset` is the absolute input offset of `bytes[0]`, for naming a bad byte.
 */
export function parseJsonUnit<T>(bytes: Buffer, start: number, end: number, bytesOffset: number, position: Position, label: string): SourceRecord<T> {
  const encoding = utf8Problem(bytes, start, end, bytesOffset);
  if (encoding !== undefined) return rejectOf(`${label} is ${encoding}`, rawFromBytes(bytes, start, end), position, exactBytes(bytes, start, end));
  const text = bytes.toString('utf8', start, end);
  try {
    return { kind: 'record', value: JSON.parse(text) as T, position };
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    return rejectOf(`${label} is not valid JSON (${detail}); fix it at the source or replay it from the dead letters`, text, position, exactBytes(bytes, start, end));
  }
}
