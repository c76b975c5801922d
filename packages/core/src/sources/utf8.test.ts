import { describe, expect, it } from 'vitest';
import { invalidUtf8At, utf8Problem } from './utf8.js';

/** `text` with `bad` bytes after it and `tail` after those. */
const bytes = (text: string, bad: readonly number[], tail = 'z') => Buffer.concat([Buffer.from(text), Buffer.from(bad), Buffer.from(tail)]);

describe('invalidUtf8At', () => {
  it('finds nothing in valid UTF-8, multi-byte characters included', () => {
    const valid = Buffer.from('aü€😀\u{10ffff}');
    expect(invalidUtf8At(valid, 0, valid.length)).toBe(-1);
  });

  it('names the first byte of each kind of invalid sequence', () => {
    const cases: [string, number[]][] = [
      ['a stray byte', [0xff]],
      ['a lone continuation byte', [0x80]],
      ['an overlong "/"', [0xc0, 0xaf]],
      ['an overlong three-byte form', [0xe0, 0x80, 0xaf]],
      ['an encoded surrogate', [0xed, 0xa0, 0x80]],
      ['a code point beyond U+10FFFF', [0xf4, 0x90, 0x80, 0x80]],
      ['a cut three-byte sequence', [0xe2, 0x82]],
    ];
    for (const [what, bad] of cases) expect(invalidUtf8At(bytes('ab€', bad), 0, 5 + bad.length + 1), what).toBe(5);
  });

  it('looks only inside the range, so a sequence cut by its end is invalid', () => {
    const euro = Buffer.from('x€y'); // € is bytes 1-3
    expect(invalidUtf8At(euro, 1, 4)).toBe(-1);
    expect(invalidUtf8At(euro, 0, 3)).toBe(1);
  });

  it('words the problem with the absolute byte offset', () => {
    expect(utf8Problem(bytes('ab', [0xfe]), 0, 4, 1000)).toMatch(/^not valid UTF-8 at byte 1002;/);
    expect(utf8Problem(Buffer.from('ok'), 0, 2, 0)).toBeUndefined();
  });
});
