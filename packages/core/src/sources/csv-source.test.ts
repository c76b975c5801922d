import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, SourceError } from '../errors.js';
import { collectRecords, sourceContract, tempFiles, type SampleRecord } from '../testkit/source-contract.js';
import type { SourceRecord } from '../types.js';
import { csvSource, type CsvSourceOptions } from './csv-source.js';

const files = tempFiles('sluice-csv-');
afterAll(() => files.remove());

/** A CSV field, quoted when it holds a delimiter, quote, line end or edge spaces. */
function field(value: string | number): string {
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** Records as CSV text with a header, rows ended by `newline`. */
function toCsv(records: readonly SampleRecord[], newline = '\n'): string {
  return ['id,name,val', ...records.map((r) => [r.id, r.name, r.val].map(field).join(','))].map((row) => row + newline).join('');
}

/** Reads CSV `content` with `options`. */
async function readCsv(content: string | Uint8Array, options: Omit<CsvSourceOptions, 'path'> = {}): Promise<SourceRecord<unknown>[]> {
  return collectRecords(csvSource({ path: await files.write(content, 'csv'), ...options }).read());
}

describe('csvSource: source contract', () => {
  sourceContract(it, {
    create: async (records, hints = {}) =>
      csvSource<SampleRecord>({ path: await files.write(toCsv(records), 'csv'), types: { id: 'number', val: 'number' }, ...hints }),
  });
});

describe('csvSource: source contract with CRLF line ends', () => {
  sourceContract(it, {
    create: async (records, hints = {}) =>
      csvSource<SampleRecord>({ path: await files.write(toCsv(records, '\r\n'), 'csv'), types: { id: 'integer', val: 'number' }, ...hints }),
  });
});

describe('csvSource: format', () => {
  it('reads quoted fields with delimiters, doubled quotes and line breaks; positions give the line a row ends on', async () => {
    const text = 'a,b\r\n"x, y","say ""hi"""\r\n"multi\nline\r\ntext",2\r\nlast,row';
    const items = await readCsv(text);
    expect(items).toEqual([
      { kind: 'record', value: { a: 'x, y', b: 'say "hi"' }, position: { offset: 26, line: 2, index: 0 } },
      { kind: 'record', value: { a: 'multi\nline\r\ntext', b: '2' }, position: { offset: 48, line: 5, index: 1 } },
      { kind: 'record', value: { a: 'last', b: 'row' }, position: { offset: 56, line: 6, index: 2 } },
    ]);
  });

  it('skips a BOM and blank lines, and keeps empty fields', async () => {
    const items = await readCsv('\ufeff\nid,name\n\n1,\n,\n');
    expect(items.map((item) => item.kind === 'record' && item.value)).toEqual([
      { id: '1', name: '' },
      { id: '', name: '' },
    ]);
  });

  it('types columns: numbers, integers, booleans, empty cells as null', async () => {
    const items = await readCsv('n,i,b,s\n1.5e2,-3,TRUE, 7 \n,,,\n', { types: { n: 'number', i: 'integer', b: 'boolean' } });
    expect(items.map((item) => item.kind === 'record' && item.value)).toEqual([
      { n: 150, i: -3, b: true, s: ' 7 ' },
      { n: null, i: null, b: null, s: '' },
    ]);
  });

  it('rejects a cell that fails its type, with line and reason, and reads on', async () => {
    const items = await readCsv('n,b\n1,yes\nabc,no\n2,maybe\n0x10,1\n3,0\n', { types: { n: 'number', b: 'boolean' } });
    expect(items.map((item) => (item.kind === 'record' ? item.value : item.reason))).toEqual([
      { n: 1, b: true },
      'CSV row on line 3: column "n": "abc" is not a number',
      'CSV row on line 4: column "b": "maybe" is not a boolean (true/false, 1/0, yes/no)',
      'CSV row on line 5: column "n": "0x10" is not a number',
      { n: 3, b: false },
    ]);
    expect(items[1]).toMatchObject({ raw: 'abc,no\n', position: { line: 3, index: 1 } });
  });

  it('rejects a row that is not valid UTF-8, naming the bad byte, instead of decoding it into U+FFFD', async () => {
    const content = Buffer.concat([Buffer.from('a,b\nü,1\nx'), Buffer.from([0xff]), Buffer.from(',2\n3,4\n')]);
    const items = await readCsv(content);
    expect(items.map((item) => (item.kind === 'record' ? item.value : item.reason))).toEqual([
      { a: 'ü', b: '1' },
      expect.stringMatching(/^CSV row on line 3: not valid UTF-8 at byte 10;/),
      { a: '3', b: '4' },
    ]);
    expect(items[1]).toMatchObject({ position: { offset: 14, line: 3, index: 1 } });
    // The reject keeps the row's exact bytes, the bad one included, for its dead letter.
    expect(items[1]!.kind === 'reject' && Buffer.from(items[1]!.bytes!)).toEqual(Buffer.concat([Buffer.from('x'), Buffer.from([0xff]), Buffer.from(',2\n')]));
  });

  it('keeps the exact bytes of a long refused row, and of every row with keepRaw', async () => {
    const long = `${'z'.repeat(500)},1,extra\r\n`;
    const [reject] = await readCsv(`a,b\r\n${long}`);
    expect(reject!.kind === 'reject' && reject!.raw.length).toBe(201);
    expect(reject!.kind === 'reject' && Buffer.from(reject!.bytes!).toString()).toBe(long);
    const kept = await readCsv('a,b\n"q, ""r""",1\nlast,2', { keepRaw: true });
    expect(kept.map((r) => r.kind === 'record' && Buffer.from(r.raw!).toString())).toEqual(['"q, ""r""",1\n', 'last,2']);
    const plain = await readCsv('a,b\n1,2\n');
    expect(plain[0]).not.toHaveProperty('raw');
  });

  it('rejects a row with the wrong number of fields', async () => {
    const items = await readCsv('a,b\n1,2,3\n"x\ny"\n4,5\n');
    expect(items.map((item) => (item.kind === 'record' ? item.value : item.reason))).toEqual([
      expect.stringMatching(/^CSV row on line 2: has 3 fields but the header has 2/),
      expect.stringMatching(/^CSV row on lines 3-4: has 1 fields but the header has 2/),
      { a: '4', b: '5' },
    ]);
  });

  it('rejects text after a closing quote, and an unterminated quote at the end of the file', async () => {
    const items = await readCsv('a,b\n"x"y,1\n2,"open\n3,4\n');
    expect(items.map((item) => item.kind === 'reject' && item.reason)).toEqual([
      expect.stringMatching(/line 2: unexpected character "y" after the closing quote of field 1/),
      expect.stringMatching(/lines 3-5: the file ends inside quoted field 2/),
    ]);
  });

  it('splits rows the same whatever the chunk size, also resuming', async () => {
    const text = `h1,h2\n${Array.from({ length: 60 }, (_, k) => `"ü€😀 ""${k}""\r\nnext",${'é'.repeat(k % 5)}\r\n`).join('')}`;
    const path = await files.write(text, 'csv');
    const expected = await collectRecords(csvSource({ path }).read());
    expect(expected).toHaveLength(60);
    for (const chunkSize of [16, 29, 1000]) {
      const source = csvSource({ path, chunkSize });
      expect(await collectRecords(source.read()), `chunk size ${chunkSize}`).toEqual(expected);
      expect(await collectRecords(source.read(expected[41]!.position)), `resuming, chunk size ${chunkSize}`).toEqual(expected.slice(42));
    }
  });

  it('reads other delimiters', async () => {
    const items = await readCsv('a;b\n"1;2";3\n', { delimiter: ';' });
    expect(items.map((item) => item.kind === 'record' && item.value)).toEqual([{ a: '1;2', b: '3' }]);
  });

  it('completes with no records on an empty file', async () => {
    expect(await readCsv('')).toEqual([]);
  });

  it('fails with a SourceError on a bad header', async () => {
    await expect(readCsv('a,a\n1,2\n')).rejects.toThrow(/names column "a" twice/);
    await expect(readCsv('a,,c\n1,2,3\n')).rejects.toThrow(/no name for column 2/);
    await expect(readCsv('a,b\n1,2\n', { types: { c: 'number' } })).rejects.toThrow(SourceError);
    await expect(readCsv('a,b\n1,2\n', { types: { c: 'number' } })).rejects.toThrow(/has no column "c", which this source reads as typed \(the header has: "a", "b"\)/);
  });

  it('maps header names with headerName: keys and types use the mapped names; names that fall together are refused', async () => {
    const headerName = (name: string) => name.trim().toLowerCase();
    const records = await readCsv(' ID ,Name\n1,x\n', { headerName, types: { id: 'integer' } });
    expect(records.map((r) => r.kind === 'record' && r.value)).toEqual([{ id: 1, name: 'x' }]);
    await expect(readCsv('Id,id \n1,2\n', { headerName })).rejects.toThrow(/names column "id" \(written "id "\) twice/);
    await expect(readCsv(' ,b\n1,2\n', { headerName })).rejects.toThrow(/no name for column 1 \(written " "\)/);
  });

  it('refuses bad options with a ConfigError', () => {
    expect(() => csvSource({ path: 'x.csv', delimiter: '"' })).toThrow(ConfigError);
    expect(() => csvSource({ path: 'x.csv', types: { a: 'date' as never } })).toThrow(ConfigError);
    expect(() => csvSource({ path: 'x.csv', chunkSize: 0 })).toThrow(ConfigError);
  });
});
