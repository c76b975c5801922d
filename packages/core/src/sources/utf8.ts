/**
 * Checking input bytes for UTF-8 before they are decoded: `Buffer#toString` would silently turn a
 * bad byte into U+FFFD, so two different records could land as one and the input would be changed
 * without a word. Sources refuse such a record instead, naming the first bad byte.
 */
import { isUtf8 } from 'node:buffer';

/** Whether `bytes[start, end)` is valid UTF-8 (one fast native pass). */
export function isUtf8Range(bytes: Buffer, start: number, end: number): boolean {
  return isUtf8(bytes.subarray(start, end));
}

/**
 * Index in `bytes` of the first byte of `bytes[start, end)` that starts an invalid or cut UTF-8
 * sequence (a stray continuation byte, an overlong form, an encoded surrogate, a code point beyond
 * U+10FFFF, a sequence cut by `end`), or -1 when the range is valid UTF-8.
 */
export function invalidUtf8At(bytes: Buffer, start: number, end: number): number {
  if (isUtf8Range(bytes, start, end)) return -1;
  let i = start;
  while (i < end) {
    const lead = bytes[i]!;
    if (lead < 0x80) {
      i++;
      continue;
    }
    const rule = sequenceRule(lead);
    if (rule === undefined) return i;
    const [length, secondLow, secondHigh] = rule;
    if (i + length > end) return i;
    const second = bytes[i + 1]!;
    if (second < secondLow || second > secondHigh) return i;
    for (let k = 2; k < length; k++) {
      const next = bytes[i + k]!;
      if (next < 0x80 || next > 0xbf) return i;
    }
    i += length;
  }
  return start; // not reached: isUtf8 and this scan agree on what is valid
}

/** Length of the sequence a lead byte starts and the range its second byte must lie in (RFC 3629). */
function sequenceRule(lead: number): readonly [number, number, number] | undefined {
  if (lead >= 0xc2 && lead <= 0xdf) return [2, 0x80, 0xbf];
  if (lead === 0xe0) return [3, 0xa0, 0xbf]; // no overlong forms
  if (lead === 0xed) return [3, 0x80, 0x9f]; // no surrogates
  if (lead >= 0xe1 && lead <= 0xef) return [3, 0x80, 0xbf];
  if (lead === 0xf0) return [4, 0x90, 0xbf]; // no overlong forms
  if (lead >= 0xf1 && lead <= 0xf3) return [4, 0x80, 0xbf];
  if (lead === 0xf4) return [4, 0x80, 0x8f]; // nothing beyond U+10FFFF
  return undefined;
}

/**
 * Why `bytes[start, end)` cannot be read as text, or `undefined` when it is valid UTF-8.
 * `bytesOffset` is the absolute offset of `bytes[0]`, so the message names the byte in the input.
 */
export function utf8Problem(bytes: Buffer, start: number, end: number, bytesOffset: number): string | undefined {
  const at = invalidUtf8At(bytes, start, end);
  if (at < 0) return undefined;
  return `not valid UTF-8 at byte ${bytesOffset + at}; save the input as UTF-8 at the source, or replay the record from the dead letters`;
}
