import { afterAll, describe, expect, it } from 'vitest';
import { collectRecords, sourceContract, tempFiles, type SampleRecord } from '../testkit/source-contract.js';
import { deadLetter, deadLetterBytes } from '../pipeline/dead-letters.js';
import { ndjsonSource } from './ndjson-source.js';

const files = tempFiles('sluice-ndjson-');
afterAll(() => files.remove());

/** An NDJSON source over a file with `content`. */
async function ndjson<T = unknown>(content: string | Uint8Array, chunkSize?: number) {
  return ndjsonSource<T>({ path: await files.write(content, 'ndjson'), chunkSize });
}

describe('ndjsonSource: source contract', () => {
  sourceContract(it, {
    create: async (records, hints = {}) => ndjson<SampleRecord>(records.map((r) => `${JSON.stringify(r)}\n`).join(''), hints.chunkSize),
  });
});

describe('ndjsonSource: format', () => {
  it('accepts CRLF, skips blank lines and a BOM, and counts a last line without newline', async () => {
    const text = '\ufeff{"a":1}\r\n\r\n   \n{"a":2}\r\n{"a":3}';
    const items = await collectRecords((await ndjson(text)).read());
    expect(items).toEqual([
      { kind: 'record', value: { a: 1 }, position: { offset: 12, line: 1, index: 0 } },
      { kind: 'record', value: { a: 2 }, position: { offset: 27, line: 4, index: 1 } },
      { kind: 'record', value: { a: 3 }, position: { offset: 34, line: 5, index: 2 } },
    ]);
  });

  it('rejects a malformed line with its line number and offset, and reads on', async () => {
    const items = await collectRecords((await ndjson('{"a":1}\n{"a":\n[1,2]\n')).read());
    expect(items.map((item) => item.kind)).toEqual(['record', 'reject', 'record']);
    expect(items[1]).toMatchObject({ raw: '{"a":', position: { offset: 14, line: 2, index: 1 }, reason: expect.stringMatching(/line 2 is not valid JSON/) });
    expect(items[2]).toMatchObject({ value: [1, 2], position: { line: 3, index: 2 } });
  });

  it('rejects a line that is not valid UTF-8, naming the bad byte, instead of decoding it into U+FFFD', async () => {
    const content = Buffer.concat([Buffer.from('"ü"\n"a'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"\r\n"b"')]);
    const items = await collectRecords((await ndjson(content)).read());
    expect(items.map((item) => (item.kind === 'record' ? item.value : item.reason))).toEqual([
      'ü',
      expect.stringMatching(/^line 2 is not valid UTF-8 at byte 7;/),
      'b',
    ]);
    expect(items[1]!.position).toEqual({ offset: 13, line: 2, index: 1 });
    // Its dead letter keeps the bytes as they were, not their decoding with U+FFFD.
    expect(items[1]!.kind === 'reject' && Buffer.from(items[1]!.bytes!)).toEqual(Buffer.concat([Buffer.from('"a'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"')]));
  });

  it('a rejected line keeps its exact bytes for the dead letters, however long, while its raw text is cut', async () => {
    const line = `{"note":"${'é'.repeat(3000)}",`; // invalid JSON, 6,010 bytes, read in 64-byte chunks
    const items = await collectRecords((await ndjson(`{"a":1}\r\n${line}\r\n{"a":2}\n`, 64)).read());
    expect(items.map((item) => item.kind)).toEqual(['record', 'reject', 'record']);
    const reject = items[1]!;
    if (reject.kind !== 'reject') throw new Error('expected a reject');
    expect(reject.raw.length).toBeLessThan(300);
    expect(Buffer.from(reject.bytes!).toString('utf8')).toBe(line);
    const letter = deadLetter('o', reject.reason, reject.bytes, { position: reject.position });
    expect(deadLetterBytes(letter).toString('utf8')).toBe(line);
  });

  it('keepRaw gives each record its line as read, so a record the schema refuses is dead-lettered as sent', async () => {
    const lines = ['{ "id" : "a",  "val": 1.50 }', '{"id":"b","val":"not a number"}'];
    const path = await files.write(`${lines[0]}\r\n${lines[1]}\n`, 'ndjson');
    const kept = await collectRecords(ndjsonSource({ path, keepRaw: true, chunkSize: 16 }).read());
    expect(kept.map((item) => item.kind === 'record' && Buffer.from(item.raw!).toString())).toEqual(lines);
    const plain = await collectRecords(ndjsonSource({ path }).read());
    expect(plain.every((item) => item.kind === 'record' && item.raw === undefined)).toBe(true);
    const [, refused] = kept;
    if (refused?.kind !== 'record') throw new Error('expected a record');
    // What the pipeline does with a record its schema refuses (read-batches.ts): raw, else the value.
    const letter = deadLetter('o', 'invalid record: val', refused.raw ?? refused.value, { position: refused.position });
    expect(deadLetterBytes(letter).toString()).toBe(lines[1]);
  });

  it('splits lines the same whatever the chunk size, multi-byte characters cut across chunks', async () => {
    const values = Array.from({ length: 100 }, (_, k) => ({ k, s: `ü€😀 ${'é'.repeat(k % 9)}` }));
    for (const chunkSize of [16, 23, 4096]) {
      const items = await collectRecords((await ndjson(values.map((v) => JSON.stringify(v)).join('\r\n'), chunkSize)).read());
      expect(items.map((item) => item.kind === 'record' && item.value), `chunk size ${chunkSize}`).toEqual(values);
    }
  });

  it('resumes with the right line numbers after blank lines and a reject', async () => {
    const source = await ndjson('1\n\nbad\n\n4\n5\n');
    const items = await collectRecords(source.read());
    expect(items.map((item) => [item.kind, item.position.line])).toEqual([['record', 1], ['reject', 3], ['record', 5], ['record', 6]]);
    expect(await collectRecords(source.read(items[1]!.position))).toEqual(items.slice(2));
  });
});
