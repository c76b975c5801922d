import { afterAll, describe, expect, it } from 'vitest';
import { SourceError } from '../errors.js';
import { collectRecords, sampleRecords, sourceContract, tempFiles } from '../testkit/source-contract.js';
import type { SourceRecord } from '../types.js';
import { jsonArraySource } from './json-array-source.js';

const files = tempFiles('sluice-json-array-');
afterAll(() => files.remove());

/** Reads a JSON-array file with `content`, in chunks of `chunkSize` bytes. */
async function readJson(content: string | Uint8Array, chunkSize?: number): Promise<SourceRecord<unknown>[]> {
  return collectRecords(jsonArraySource({ path: await files.write(content, 'json'), chunkSize }).read());
}

describe('jsonArraySource: source contract', () => {
  sourceContract(it, {
    create: async (records, hints = {}) =>
      jsonArraySource({ path: await files.write(`[\n${records.map((r) => JSON.stringify(r)).join(',\n')}\n]\n`, 'json'), ...hints }),
  });
});

describe('jsonArraySource: format', () => {
  it('reads any JSON values, compact or spread out, with offsets just past each element', async () => {
    const text = ' [1,"a,]\\"b" , {"x":[1,{"y":"}"}]},null ,true,[],[[2]] ]  ';
    const items = await readJson(text);
    expect(items.map((item) => item.kind === 'record' && item.value)).toEqual([1, 'a,]"b', { x: [1, { y: '}' }] }, null, true, [], [[2]]]);
    expect(items.map((item) => text.slice(0, item.position.offset).trimEnd().at(-1))).toEqual(['1', '"', '}', 'l', 'e', ']', ']']);
    expect(items.map((item) => item.position.index)).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it('finds the same elements whatever the chunk size, multi-byte characters and escapes cut across chunks', async () => {
    const values = Array.from({ length: 200 }, (_, k) => ({ k, s: `ü€😀 \\ " \n ${'é'.repeat(k % 7)}`, n: [k, { d: k % 3 }] }));
    const text = JSON.stringify(values, null, 2);
    for (const chunkSize of [16, 17, 61, 1024]) {
      const items = await readJson(text, chunkSize);
      expect(items.map((item) => (item.kind === 'record' ? item.value : item)), `chunk size ${chunkSize}`).toEqual(values);
    }
  });

  it('skips a UTF-8 byte order mark', async () => {
    const items = await readJson(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('[{"a":1},{"a":2}]')]));
    expect(items.map((item) => item.kind === 'record' && item.value)).toEqual([{ a: 1 }, { a: 2 }]);
    expect(items[0]!.position).toEqual({ offset: 11, index: 0 }); // 3 BOM bytes + '[' + 7 bytes of element
  });

  it('rejects a malformed element with its reason, position and raw text, and reads on', async () => {
    const items = await readJson('[{"a":1}, {"a":tru}, 1 2, {"a":3}]');
    expect(items.map((item) => item.kind)).toEqual(['record', 'reject', 'reject', 'record']);
    const [, bad, twoValues, last] = items;
    expect(bad).toMatchObject({ kind: 'reject', raw: '{"a":tru}', position: { offset: 19, index: 1 } });
    expect(bad?.kind === 'reject' && bad.reason).toMatch(/element 1 of the JSON array is not valid JSON/);
    expect(twoValues).toMatchObject({ kind: 'reject', raw: '1 2', position: { index: 2 } });
    expect(last).toMatchObject({ kind: 'record', value: { a: 3 }, position: { index: 3 } });
  });

  it('rejects an element that is not valid UTF-8, naming the bad byte, and keeps the others', async () => {
    const content = Buffer.concat([Buffer.from('[{"a":"ü"},{"a":"'), Buffer.from([0xc0, 0xaf]), Buffer.from('"},{"a":2}]')]);
    for (const chunkSize of [16, 1024]) {
      const items = await readJson(content, chunkSize);
      expect(items.map((item) => (item.kind === 'record' ? item.value : item.reason)), `chunk size ${chunkSize}`).toEqual([
        { a: 'ü' },
        expect.stringMatching(/^element 1 of the JSON array is not valid UTF-8 at byte 18;/),
        { a: 2 },
      ]);
    }
  });

  it('cuts the raw text of a long malformed element to about 200 characters', async () => {
    const [item] = await readJson(`[{"a": "${'x'.repeat(5000)}" oops}]`);
    expect(item!.kind).toBe('reject');
    expect(item?.kind === 'reject' && item.raw.length).toBeLessThanOrEqual(201);
  });

  it('rejects empty elements and a trailing comma, keeping the other elements', async () => {
    const items = await readJson('[1,,2,]');
    expect(items.map((item) => (item.kind === 'record' ? item.value : item.reason))).toEqual([
      1,
      expect.stringMatching(/empty element/),
      2,
      expect.stringMatching(/comma before the closing/),
    ]);
  });

  it('rejects a file that is not a JSON array once, and completes', async () => {
    for (const text of ['{"a":[1,2]}', '"text"', 'null']) {
      const items = await readJson(text);
      expect(items, text).toHaveLength(1);
      expect(items[0]).toMatchObject({ kind: 'reject', reason: expect.stringMatching(/not a JSON array/), position: { offset: 0 } });
    }
  });

  it('rejects an empty file, and one of only whitespace', async () => {
    for (const text of ['', ' \n\t ']) {
      const items = await readJson(text);
      expect(items).toEqual([expect.objectContaining({ kind: 'reject', reason: expect.stringMatching(/empty/) })]);
    }
  });

  it('rejects the cut tail of a truncated file after the complete elements', async () => {
    const items = await readJson('[{"a":1},{"a":2},{"a":"unfini');
    expect(items.map((item) => item.kind)).toEqual(['record', 'record', 'reject']);
    expect(items[2]).toMatchObject({ raw: '{"a":"unfini', reason: expect.stringMatching(/truncated/), position: { offset: 29, index: 2 } });
  });

  it('rejects a file that stops before its closing bracket', async () => {
    for (const text of ['[1,2', '[1,2,', '[', '[1,2 ']) {
      const items = await readJson(text);
      expect(items.at(-1), text).toMatchObject({ kind: 'reject', reason: expect.stringMatching(/truncated/) });
    }
  });

  it('rejects content after the closing bracket', async () => {
    const items = await readJson('[1] [2]');
    expect(items.map((item) => item.kind)).toEqual(['record', 'reject']);
    expect(items[1]).toMatchObject({ raw: '[2]', reason: expect.stringMatching(/after the closing/) });
  });

  it('resumes after a reject and after the last element', async () => {
    const path = await files.write('[1, oops, 3]', 'json');
    const source = jsonArraySource({ path });
    const items = await collectRecords(source.read());
    expect(items.map((item) => item.kind)).toEqual(['record', 'reject', 'record']);
    expect(await collectRecords(source.read(items[1]!.position))).toEqual([items[2]]);
    expect(await collectRecords(source.read(items[2]!.position))).toEqual([]);
  });

  it('fails with a SourceError for a missing file or a resume offset past the end', async () => {
    await expect(collectRecords(jsonArraySource({ path: '/nonexistent/sluice.json' }).read())).rejects.toThrow(SourceError);
    const path = await files.write(JSON.stringify(sampleRecords(3)), 'json');
    await expect(collectRecords(jsonArraySource({ path }).read({ offset: 10_000, index: 5 }))).rejects.toThrow(/cannot resume at byte 10000/);
  });

  it('emits the elements before one larger than maxRecordBytes, then fails with a SourceError instead of holding it', async () => {
    const path = await files.write(`[1, 2, "${'x'.repeat(4000)}`, 'json');
    const emitted: unknown[] = [];
    const failure = await new Promise((resolve) => {
      jsonArraySource({ path, chunkSize: 512, maxRecordBytes: 1000 })
        .read()
        .subscribe({ next: (item) => void emitted.push(item.kind === 'record' && item.value), error: resolve, complete: () => resolve(undefined) });
    });
    expect(emitted).toEqual([1, 2]);
    expect(failure).toBeInstanceOf(SourceError);
    expect(String(failure)).toMatch(/the record starting at byte 7 .* is longer than maxRecordBytes \(1000\)/);
  });
});

