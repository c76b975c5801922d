/**
 * Reading a CSV file as batches of raw lines, for the hand-written ceilings: no parsing, no
 * objects, bounded memory (one read chunk plus one batch).
 */
import { createReadStream } from 'node:fs';

/** How to read. */
export interface LineBatchOptions {
  /** Lines per batch. */
  batchSize: number;
  /** Skip the first line (the header). Default true. */
  skipHeader?: boolean;
  /** Stop after this many lines (after the header). */
  limit?: number;
}

/**
 * Yields the file's lines (without line ends) in arrays of `batchSize` (the last one may be
 * shorter). Blank lines are skipped. The generator pulls the file only as fast as it is consumed.
 */
export async function* lineBatches(path: string, options: LineBatchOptions): AsyncGenerator<string[]> {
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  let skip = options.skipHeader !== false;
  let batch: string[] = [];
  let carry = '';
  let taken = 0;
  const take = (line: string): boolean => {
    if (line === '') return false;
    if (skip) {
      skip = false;
      return false;
    }
    batch.push(line);
    taken++;
    return batch.length >= options.batchSize;
  };
  for await (const chunk of createReadStream(path, { encoding: 'utf8', highWaterMark: 1 << 20 })) {
    const text = carry + (chunk as string);
    let start = 0;
    for (let end = text.indexOf('\n'); end !== -1 && taken < limit; end = text.indexOf('\n', start)) {
      const full = take(text.slice(start, end));
      start = end + 1;
      if (full) {
        yield batch;
        batch = [];
      }
    }
    if (taken >= limit) break;
    carry = text.slice(start);
  }
  if (taken < limit) take(carry);
  if (batch.length > 0) yield batch;
}
