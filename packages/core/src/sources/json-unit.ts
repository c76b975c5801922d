/** Parsing one piece of JSON text (an NDJSON line, a JSON-array element) into a record or a reject. */
import type { Position, SourceRecord } from '../types.js';
import { rejectOf } from './reject.js';

/**
 * `JSON.parse(text)` as a record at `position`, or a reject that names `label` (e.g. `line 7`) and
 * the parser's complaint when the text is not valid JSON.
 */
export function parseJsonUnit<T>(text: string, position: Position, label: string): SourceRecord<T> {
  try {
    return { kind: 'record', value: JSON.parse(text) as T, position };
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    return rejectOf(`${label} is not valid JSON (${detail}); fix it at the source or replay it from the dead letters`, text, position);
  }
}
