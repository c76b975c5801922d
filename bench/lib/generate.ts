/**
 * Writes the trips CSV for a row count to the OS temp directory, streamed in bounded memory, and
 * reuses an earlier complete write of the same row count (a `.facts.json` file beside it records
 * the size written).
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { readFile, rename, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TRIP_HEADER, tripLine } from './trips.js';

/** A generated data file. */
export interface TripsFile {
  path: string;
  rows: number;
  bytes: number;
  /** Whether it was written by this call (false: reused). */
  written: boolean;
}

const FLUSH_CHARS = 1 << 20;

/** The trips file of `rows` rows, written if no complete one exists yet. */
export async function tripsFile(rows: number, dir = tmpdir()): Promise<TripsFile> {
  const path = join(dir, `sluice-bench-trips-${rows}.csv`);
  const factsPath = `${path}.facts.json`;
  try {
    const facts = JSON.parse(await readFile(factsPath, 'utf8')) as { rows: number; bytes: number };
    const { size } = await stat(path);
    if (facts.rows === rows && facts.bytes === size) return { path, rows, bytes: size, written: false };
  } catch {
    // no complete earlier write: write it now
  }
  const partial = `${path}.partial`;
  const out = createWriteStream(partial);
  let bytes = 0;
  let pending = `${TRIP_HEADER}\n`;
  for (let i = 0; i < rows; i++) {
    pending += `${tripLine(i)}\n`;
    if (pending.length >= FLUSH_CHARS) {
      bytes += pending.length; // ASCII only: characters are bytes
      if (!out.write(pending)) await once(out, 'drain');
      pending = '';
    }
  }
  bytes += pending.length;
  out.end(pending);
  await once(out, 'finish');
  await rename(partial, path);
  await writeFile(factsPath, JSON.stringify({ rows, bytes }));
  return { path, rows, bytes, written: true };
}
