/** How sources turn input they cannot read into a `reject`, with the raw text cut to a readable length. */
import type { Position, SourceReject } from '../types.js';

/** Most characters of raw input a reject carries. */
export const MAX_RAW_CHARS = 200;

/** `text`, cut to `max` characters (default {@link MAX_RAW_CHARS}) with a trailing `…` when it was longer. */
export function cutRaw(text: string, max = MAX_RAW_CHARS): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/**
 * The bytes `[start, end)` of `bytes` as cut raw text. Decodes only the head of a long range, so a
 * huge malformed record costs no more than a short one.
 */
export function rawFromBytes(bytes: Buffer, start: number, end: number): string {
  const head = Math.min(end, start + MAX_RAW_CHARS * 4);
  const text = bytes.toString('utf8', start, head);
  return head < end && text.length <= MAX_RAW_CHARS ? `${text}…` : cutRaw(text);
}

/**
 * A copy of `bytes[start, end)`, for a reject's exact bytes: its dead letter keeps the whole record
 * as it was read (the reject's `raw` is cut), and the window the bytes came from is reused.
 */
export function exactBytes(bytes: Buffer, start: number, end: number): Buffer {
  return Buffer.from(bytes.subarray(start, end));
}

/** A reject item: why the input was refused, the raw text (cut), and where it sits. */
export function rejectOf(reason: string, raw: string, position: Position, bytes?: Uint8Array): SourceReject {
  return bytes === undefined ? { kind: 'reject', reason, raw: cutRaw(raw), position } : { kind: 'reject', reason, raw: cutRaw(raw), position, bytes };
}
