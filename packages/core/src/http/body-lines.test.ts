import { describe, expect, it } from 'vitest';
import type { SourceRecord } from '../types.js';
import { BodyLines } from './body-lines.js';

/** What `body`, cut into pieces of `size` bytes, turns into. */
function split(body: Buffer, size: number, maxRecordBytes = 1 << 20): SourceRecord<unknown>[] {
  const lines = new BodyLines<unknown>(0, maxRecordBytes);
  const out: SourceRecord<unknown>[] = [];
  for (let i = 0; i < body.length; i += size) lines.push(body.subarray(i, i + size), out);
  lines.end(out);
  return out;
}

describe('BodyLines', () => {
  it('skips a byte order mark however the body is cut, counting its bytes in the offsets', () => {
    const body = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"a":1}\n{"a":2}\r\n{"a":')]);
    for (const size of [1, 2, 3, 5, 100]) {
      const items = split(body, size);
      expect(items.map((item) => [item.kind, item.position]), `pieces of ${size}`).toEqual([
        ['record', { offset: 11, line: 1, index: 0 }],
        ['record', { offset: 20, line: 2, index: 1 }],
        ['reject', { offset: 25, line: 3, index: 2 }],
      ]);
    }
  });

  it('refuses a body that is only the start of a byte order mark as not UTF-8', () => {
    expect(split(Buffer.from([0xef, 0xbb]), 1)).toMatchObject([{ kind: 'reject', reason: expect.stringMatching(/not valid UTF-8 at byte 0/) }]);
  });

  it('reads a line cut into many pieces, and says where a line without end passes maxRecordBytes', () => {
    const line = `{"s":"${'x'.repeat(5000)}"}\n`;
    expect(split(Buffer.from(line + line), 7).map((item) => item.kind === 'record' && (item.value as { s: string }).s.length)).toEqual([5000, 5000]);
    const lines = new BodyLines<unknown>(0, 100);
    const out: SourceRecord<unknown>[] = [];
    lines.push(Buffer.from('{"a":1}\n{"b":"'), out);
    expect(lines.oversizedAt).toBeUndefined();
    for (let k = 0; k < 10; k++) lines.push(Buffer.alloc(10, 0x78), out);
    expect(lines.oversizedAt).toBe(8);
    expect(out).toHaveLength(1);
  });
});
