/** Reading a JSON-array webhook body element by element, with core's streaming JSON array parser. Pure. */
import type { SourceRecord } from '@sluice/core';
// Not exported by `@sluice/core` (yet): imported from its source, as the example runs on sources.
import { JsonArrayParser } from '@sluice/core';
import type { ParsedBody, RecordError } from './ingest-body.js';

/**
 * The elements of the JSON array that starts with the `[` at `open` in `body`: each one a value,
 * or an error by index with its reason and raw text (malformed JSON, bytes that are not UTF-8, an
 * empty element). When the array as a whole is broken — cut short, or followed by more content —
 * the reason to refuse the body instead, naming the byte where it is broken.
 */
export function parseArrayBody(body: Buffer, open: number): ParsedBody | string {
  const parser = new JsonArrayParser<unknown>(false, 0);
  const items: SourceRecord<unknown>[] = [];
  const window = body.subarray(open);
  const consumed = parser.parse(window, open, items);
  const tail: SourceRecord<unknown>[] = [];
  if (parser.stopped) tail.push(items.pop()!);
  else parser.finish(window.subarray(consumed), open + consumed, tail);
  const broken = tail[0];
  if (broken?.kind === 'reject') {
    const reason = broken.reason.replace(/\bfile\b/g, 'body');
    return `the body starts with "[" but is not a valid JSON array: ${reason} (at byte ${broken.position.offset ?? body.length})`;
  }
  // The parser itself refuses an element whose bytes are not UTF-8, naming the bad byte.
  const values: ParsedBody['values'] = [];
  const errors: RecordError[] = [];
  for (const item of items) {
    const index = item.position.index ?? values.length + errors.length;
    if (item.kind === 'reject') errors.push({ index, reason: item.reason, raw: item.raw });
    else values.push({ index, value: item.value });
  }
  return { values, errors };
}
