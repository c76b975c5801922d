import { describe, expect, it } from 'vitest';
import type { SourceRecord } from '../types.js';
import { DEFAULT_MAX_DEPTH, JsonArrayParser } from './json-array-parser.js';

/** Parses `text` in chunks of `size` bytes, as a file source does, collecting items and spans. */
function parseAll(text: string | Buffer, size: number, maxDepth?: number) {
  const bytes = Buffer.isBuffer(text) ? text : Buffer.from(text);
  const parser = new JsonArrayParser<unknown>(false, 0, maxDepth === undefined ? {} : { maxDepth });
  const out: SourceRecord<unknown>[] = [];
  const spans: number[] = [];
  let carry = Buffer.alloc(0);
  let carryOffset = 0;
  for (let at = 0; at < bytes.length && !parser.stopped; at += size) {
    const window = Buffer.concat([carry, bytes.subarray(at, at + size)]);
    const consumed = parser.parse(window, carryOffset, out, spans);
    carry = window.subarray(consumed);
    carryOffset += consumed;
  }
  parser.finish(carry, carryOffset, out, spans);
  return { out, spans, bytes };
}

describe('JsonArrayParser depth cap and spans', () => {
  it('refuses an element nested deeper than maxDepth without parsing it (100k levels), and goes on', () => {
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    for (const size of [64 * 1024, 997]) {
      const { out } = parseAll(`[{"a":1}, ${deep} ,{"b":2}]`, size);
      expect(out.map((item) => item.kind)).toEqual(['record', 'reject', 'record']);
      expect(out[1]).toMatchObject({ kind: 'reject', reason: `element 1 of the JSON array is nested deeper than ${DEFAULT_MAX_DEPTH} levels; flatten it`, position: { index: 1 } });
      expect(out[2]).toMatchObject({ kind: 'record', value: { b: 2 }, position: { index: 2 } });
      // Its raw text is cut; its bytes, for the dead letter, are the element's, whole.
      const reject = out[1]!;
      expect(reject.kind === 'reject' && Buffer.from(reject.bytes!).toString()).toBe(deep);
    }
  });

  it('keeps elements exactly at the cap, counting braces and brackets alike, not inside strings', () => {
    const atCap = `${'{"a":'.repeat(3)}[1]${'}'.repeat(3)}`; // 4 levels
    expect(parseAll(`[${atCap}]`, 7, 4).out[0]).toMatchObject({ kind: 'record' });
    expect(parseAll(`[${atCap}]`, 7, 3).out[0]).toMatchObject({ kind: 'reject', reason: expect.stringMatching(/deeper than 3 levels/) });
    expect(parseAll(`["[[[[[[[[", {"s": "{{{{{{"}]`, 5, 2).out.map((item) => item.kind)).toEqual(['record', 'record']);
  });

  it('reports where each item starts, so its exact bytes can be kept', () => {
    const elements = ['{"id":1}', '{"id": 2 , "x": [1,2]}', '{"bad": }', '"caf\u00e9"', ''];
    const text = `[ ${elements.slice(0, 4).join(' ,\n ')} ,, ]`;
    for (const size of [3, 11, 1 << 16]) {
      const { out, spans, bytes } = parseAll(text, size);
      expect(spans).toHaveLength(out.length);
      const slices = out.map((item, k) => bytes.subarray(spans[k]!, item.position.offset).toString());
      expect(slices, `chunks of ${size}`).toEqual(elements.concat(''));
    }
  });

  it('spans of a cut tail and of content after the closing bracket', () => {
    const cut = parseAll('[{"a":1}, {"b": [1, 2', 4);
    expect(cut.out[1]).toMatchObject({ kind: 'reject', reason: expect.stringMatching(/ends inside element 1/) });
    expect(cut.bytes.subarray(cut.spans[1]!).toString()).toBe('{"b": [1, 2');
    const after = parseAll('[1] tail', 100);
    expect(after.out[1]).toMatchObject({ kind: 'reject', reason: expect.stringMatching(/after the closing/) });
    expect(after.bytes.subarray(after.spans[1]!).toString()).toBe('tail');
  });

  it('deeperThan checks one value', () => {
    const bytes = Buffer.from('{"a":[{"b":"]]]}}}"}]}');
    expect(JsonArrayParser.deeperThan(bytes, 0, bytes.length, 3)).toBe(false);
    expect(JsonArrayParser.deeperThan(bytes, 0, bytes.length, 2)).toBe(true);
    const deep = Buffer.from(`${'['.repeat(50_000)}${']'.repeat(50_000)}`);
    expect(JsonArrayParser.deeperThan(deep, 0, deep.length, 64)).toBe(true);
  });
});
