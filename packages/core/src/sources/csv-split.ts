/**
 * Byte ranges of a CSV file that several readers can read at once, each with a {@link csvSource}
 * of its own (`read(range.from)` with `end: range.end`): every row is read by exactly one of them,
 * and rows keep the line numbers a reader of the whole file would give them.
 *
 * A range starts just after a line end that is not inside a quoted field. In a well-formed file a
 * line end is inside quotes when an odd number of quote characters comes before it (a doubled
 * quote counts two), so one pass that counts line ends and quotes up to the last boundary finds
 * the boundaries and their line numbers. A file whose quotes are malformed may be cut inside what
 * a reader of the whole file would take as one row; its rows are then read and rejected where
 * they fall.
 */
import { open } from 'node:fs/promises';
import { SourceError } from '../errors.js';
import type { Position } from '../types.js';

/** One reader's share of a file. */
export interface CsvRange {
  /** Where to read after (the position of the row before the range); `undefined` for the first. */
  from: Position | undefined;
  /** The byte the range ends before (rows starting there belong to the next range). */
  end: number;
}

const LF = 0x0a;
const QUOTE = 0x22;
const CHUNK = 1 << 22;

/**
 * Splits the file at `path` into at most `parts` ranges of about equal size (fewer when the file
 * has fewer row boundaries). Reads the file up to its last boundary once.
 */
export async function csvSplits(path: string, parts: number): Promise<CsvRange[]> {
  if (!Number.isInteger(parts) || parts < 1) throw new SourceError(`cannot split ${path} into ${parts} parts: give a whole number of at least 1`, path);
  const file = await open(path, 'r');
  try {
    const size = (await file.stat()).size;
    const starts: Position[] = [];
    const chunk = Buffer.allocUnsafe(CHUNK);
    let at = 0;
    let lines = 0;
    let quotes = 0;
    for (let k = 1; k < parts; k++) {
      const target = Math.floor((size * k) / parts);
      if (target < at) continue;
      let found: Position | undefined;
      while (found === undefined) {
        const n = (await file.read(chunk, 0, CHUNK, at)).bytesRead;
        if (n === 0) break;
        const bytes = chunk.subarray(0, n);
        let quote = nextIndex(bytes, QUOTE, 0);
        let i = 0;
        while (i < n) {
          const lf = bytes.indexOf(LF, i);
          const stop = lf < 0 ? n : lf;
          for (; quote < stop; quote = nextIndex(bytes, QUOTE, quote + 1)) quotes++;
          if (lf < 0) break;
          lines++;
          i = lf + 1;
          if (at + i > target && quotes % 2 === 0) {
            found = { offset: at + i, line: lines };
            break;
          }
        }
        at += found === undefined ? n : i;
      }
      if (found === undefined || found.offset! >= size) break;
      starts.push(found);
    }
    const ranges: CsvRange[] = [];
    for (let k = 0; k <= starts.length; k++) ranges.push({ from: k === 0 ? undefined : starts[k - 1], end: k < starts.length ? starts[k]!.offset! : size });
    return ranges;
  } finally {
    await file.close();
  }
}

/** The index of the next `byte` in `bytes` from `from`, or its length when there is none. */
function nextIndex(bytes: Buffer, byte: number, from: number): number {
  const i = bytes.indexOf(byte, from);
  return i < 0 ? bytes.length : i;
}
