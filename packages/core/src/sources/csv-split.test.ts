import { afterAll, describe, expect, it } from 'vitest';
import { collectRecords, tempFiles } from '../testkit/source-contract.js';
import type { SourceRecord } from '../types.js';
import { csvSource } from './csv-source.js';
import { csvSplits } from './csv-split.js';

const files = tempFiles('sluice-csv-split-');
afterAll(() => files.remove());

/** What a reader says of a record: its value or reject reason, and the line it ends on. */
function seen(record: SourceRecord<unknown>): unknown {
  return record.kind === 'record' ? { value: record.value, line: record.position.line } : { reason: record.reason, line: record.position?.line };
}

/** The records of the whole file, and those of its ranges read one after another. */
async function wholeAndParts(content: string, parts: number): Promise<{ whole: unknown[]; split: unknown[]; ranges: number }> {
  const path = await files.write(content, 'csv');
  const whole = (await collectRecords(csvSource({ path }).read())).map(seen);
  const ranges = await csvSplits(path, parts);
  const split: unknown[] = [];
  for (const range of ranges) split.push(...(await collectRecords(csvSource({ path, end: range.end }).read(range.from))).map(seen));
  return { whole, split, ranges: ranges.length };
}

describe('csvSplits', () => {
  it('splits a file into ranges that read every row once, with the lines of a whole read', async () => {
    const rows = Array.from({ length: 500 }, (_, i) => `${i},name ${i},${i * 1.5}`);
    for (const parts of [1, 2, 3, 7]) {
      const { whole, split, ranges } = await wholeAndParts(`id,name,val\n${rows.join('\n')}\n`, parts);
      expect(ranges).toBe(parts);
      expect(whole).toHaveLength(500);
      expect(split).toEqual(whole);
    }
  });

  it('never cuts inside a quoted field that holds line ends, and keeps blank lines, CRLF and bad rows where they are', async () => {
    const rows: string[] = [];
    for (let i = 0; i < 300; i++) {
      if (i % 7 === 0) rows.push(`${i},"two\r\nlines ""quoted""\nand three",${i}`);
      else if (i % 11 === 0) rows.push(`${i},too,many,fields`);
      else if (i % 13 === 0) rows.push('');
      else rows.push(`${i},plain,${i}`);
    }
    const content = `id,name,val\r\n${rows.join('\r\n')}`; // the last row has no line end
    for (const parts of [2, 4, 9, 40]) {
      const { whole, split } = await wholeAndParts(content, parts);
      expect(split).toEqual(whole);
    }
    expect((await wholeAndParts(content, 2)).whole.some((r) => (r as { reason?: string }).reason?.includes('fields'))).toBe(true);
  });

  it('gives fewer ranges than asked when the file has fewer row boundaries', async () => {
    const { whole, split, ranges } = await wholeAndParts('id,name,val\n1,a,2\n', 8);
    expect(ranges).toBeLessThanOrEqual(2);
    expect(split).toEqual(whole);
  });
});
