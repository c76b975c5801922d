/** Byte-level helpers for webhook bodies: the byte order mark, UTF-8 validity, raw text. Pure. */
// Not exported by `@sluice/core` (yet): imported from its source, as the example runs on sources.
import { utf8Problem } from '@sluice/core';

/** Most characters of a rejected record's raw text kept in its dead letter. */
export const MAX_RAW_CHARS = 1000;

/** Where the content of `body` starts: 3 after a UTF-8 byte order mark (EF BB BF), else 0. */
export function contentStart(body: Buffer): number {
  return body.length >= 3 && body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf ? 3 : 0;
}

/** Whether `byte` is JSON whitespace. */
function isSpace(byte: number): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}

/** Index of the first byte of `body` at or after `from` that is not JSON whitespace (`body.length` if none). */
export function skipSpace(body: Buffer, from: number): number {
  let i = from;
  while (i < body.length && isSpace(body[i]!)) i++;
  return i;
}

/** The bytes `[start, end)` as text of at most {@link MAX_RAW_CHARS} characters (invalid UTF-8 shows as U+FFFD). */
export function rawText(bytes: Buffer, start: number, end: number): string {
  return bytes.toString('utf8', start, Math.min(end, start + MAX_RAW_CHARS * 4)).slice(0, MAX_RAW_CHARS);
}

/**
 * Why the record `what` (e.g. `line 3`) in the bytes `[start, end)` of `body` cannot be read as
 * text, naming the body offset of its first byte that is not UTF-8; `undefined` when it is UTF-8.
 */
export function notUtf8(body: Buffer, start: number, end: number, what: string): string | undefined {
  const problem = utf8Problem(body, start, end, 0);
  return problem === undefined ? undefined : `${what} is ${problem}`;
}
