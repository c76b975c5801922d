import { afterAll, describe, expect, it } from 'vitest';
import { SourceError } from '../errors.js';
import { collectRecords, tempFiles } from '../testkit/source-contract.js';
import type { SourceRecord } from '../types.js';
import { fileSource, type ChunkParser } from './file-source.js';

const files = tempFiles('sluice-file-source-');
afterAll(() => files.remove());

/** Lines as records, counting its parses and the bytes it was handed. */
function lineParser(): ChunkParser<string> & { parses: number; scanned: number } {
  let index = 0;
  const parser = {
    parses: 0,
    scanned: 0,
    parse(window: Buffer, windowOffset: number, out: SourceRecord<string>[]): number {
      parser.parses++;
      parser.scanned += window.length;
      let start = 0;
      for (let end = window.indexOf(10); end >= 0; end = window.indexOf(10, start)) {
        out.push({ kind: 'record', value: window.toString('utf8', start, end), position: { offset: windowOffset + end + 1, index: index++ } });
        start = end + 1;
      }
      return start;
    },
    finish(rest: Buffer, restOffset: number, out: SourceRecord<string>[]): void {
      if (rest.length > 0) out.push({ kind: 'record', value: rest.toString(), position: { offset: restOffset + rest.length, index: index++ } });
    },
  };
  return parser;
}

describe('fileSource', () => {
  it('reads a record far longer than a chunk in a few parses of doubling windows, not one per chunk', async () => {
    const long = 'x'.repeat(1 << 20);
    const path = await files.write(`a\n${long}\nb\nc`);
    const parser = lineParser();
    const records = await collectRecords(fileSource('lines', { path, chunkSize: 1024 }, () => ({ offset: 0, parser })).read());
    expect(records.map((r) => (r.kind === 'record' ? r.value.length : -1))).toEqual([1, 1 << 20, 1, 1]);
    // One chunk per parse would be 1,024 parses over windows of 1 KiB to 1 MiB: about 512 MiB scanned.
    expect(parser.parses).toBeLessThan(20);
    expect(parser.scanned).toBeLessThan(4 << 20);
  });

  it('still refuses a record longer than maxRecordBytes, after the records before it', async () => {
    const path = await files.write(`a\n${'y'.repeat(300_000)}\nb\n`);
    const source = fileSource('lines', { path, chunkSize: 1024, maxRecordBytes: 100_000 }, () => ({ offset: 0, parser: lineParser() }));
    const seen: string[] = [];
    const error = await new Promise<unknown>((resolve) =>
      source.read().subscribe({ next: (r) => r.kind === 'record' && seen.push(r.value), error: resolve, complete: () => resolve(undefined) }),
    );
    expect(seen).toEqual(['a']);
    expect(error).toBeInstanceOf(SourceError);
    expect((error as Error).message).toMatch(/longer than maxRecordBytes \(100000\)/);
  });
});
