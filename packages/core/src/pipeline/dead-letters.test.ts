import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { deadLetter, deadLetterBytes, payloadOfBytes, payloadText, stringifyDeep } from './dead-letters.js';
import { validateSourceRecord } from './read-batches.js';

describe('dead-letter payloads', () => {
  it('writes a value too deep for JSON.stringify without recursion, exactly as JSON', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = { a: deep };
    const text = payloadText(deep);
    expect(text.length).toBe(100_000 * 6 + 1);
    expect(text.startsWith('{"a":{"a":')).toBe(true);
    expect(text.slice(100_000 * 5 - 4, 100_000 * 5 + 2)).toBe('"a":1}');
    expect(text.endsWith('}}}')).toBe(true);
    let array: unknown = [];
    for (let i = 0; i < 50_000; i++) array = [array, i % 2 === 0 ? null : 'x'];
    expect(payloadText(array)).toMatch(/^\[\[\[\[/);
    expect(() => JSON.stringify(array)).toThrow(RangeError); // what payloadText must never depend on
  });

  it('stringifyDeep writes what JSON.stringify writes for shallow values', () => {
    const value = { a: [1, 'two', null, undefined, () => 1, { b: true }], c: undefined, d: new Date(0), e: 'q"\n', f: {} , g: []};
    expect(stringifyDeep(value)).toBe(JSON.stringify(value));
    expect(stringifyDeep({ big: 12n })).toBe('{"big":"12"}');
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => stringifyDeep(cyclic)).toThrow(/circular/);
  });

  it('keeps input bytes exactly: text when UTF-8 without U+0000, base64 otherwise', () => {
    const ok = Buffer.from('{"id":"café","val":1e400}');
    expect(deadLetter('o', 'r', ok)).toMatchObject({ payload: '{"id":"café","val":1e400}' });
    expect(deadLetter('o', 'r', ok).encoding).toBeUndefined();
    for (const bytes of [Buffer.from([0x7b, 0xe9, 0x7d]), Buffer.from('a\u0000b'), Buffer.from([0xed, 0xa0, 0x80])]) {
      const letter = deadLetter('o', 'r', bytes, { position: { index: 3 } });
      expect(letter).toMatchObject({ encoding: 'base64', position: { index: 3 } });
      expect(deadLetterBytes(letter).equals(bytes)).toBe(true);
    }
    expect(payloadOfBytes(new Uint8Array([0x61]))).toEqual({ payload: 'a' });
  });

  it('a string payload with U+0000 is kept as base64 of its UTF-8; values as JSON', () => {
    const letter = deadLetter('o', 'r', 'a\u0000b');
    expect(letter.encoding).toBe('base64');
    expect(deadLetterBytes(letter).toString('utf8')).toBe('a\u0000b');
    expect(deadLetter('o', 'r', { s: 'a\u0000b' })).toMatchObject({ payload: '{"s":"a\\u0000b"}' });
    expect(deadLetter('o', 'r', { n: 1n }).payload).toBe('{"n":"1"}');
  });
});

describe('validateSourceRecord', () => {
  const schema = z.object({ n: z.number() });
  it('a record the schema refuses keeps the bytes the source kept, else its parsed value', () => {
    const raw = Buffer.from('x,  "n"\r\n');
    const kept = validateSourceRecord('f', { kind: 'record', value: { n: 'x' }, position: { line: 2 }, raw }, schema);
    expect('letter' in kept && kept.letter).toMatchObject({ payload: 'x,  "n"\r\n', position: { line: 2 } });
    const parsed = validateSourceRecord('f', { kind: 'record', value: { n: 'x' }, position: { line: 3 } }, schema);
    expect('letter' in parsed && parsed.letter.payload).toBe('{"n":"x"}');
    const bad = Buffer.from([0x78, 0xff, 0x0a]);
    const reject = validateSourceRecord('f', { kind: 'reject', reason: 'not UTF-8', raw: 'x\uFFFD', position: { line: 4 }, bytes: bad }, schema);
    expect('letter' in reject && deadLetterBytes(reject.letter).equals(bad)).toBe(true);
    expect(validateSourceRecord('f', { kind: 'record', value: { n: 1 }, position: { line: 5 }, raw }, schema)).toEqual({ value: { n: 1 }, position: { line: 5 } });
  });
});
