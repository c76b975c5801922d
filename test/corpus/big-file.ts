/**
 * A large corpus file: about 1 KB records (a metric plus a padding `note` the schema drops) with one
 * malformed record in the middle, streamed to the OS temp directory in bounded memory. A complete
 * file is kept with a small description beside it and reused when present, so an interrupted run
 * does not write gigabytes again; the test deletes both when it is done.
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { epochMillis } from '@sluice/core';
import { T0, type Format } from './entries.js';
import { EXTENSIONS } from './file-sources.js';
import type { ExpectedReject } from './render.js';

/** Size of the big file: 2 GiB with `SLUICE_CORPUS_BIG=1`, else 32 MiB (the same code path, CI-sized). */
export const BIG_FILE_BYTES = process.env.SLUICE_CORPUS_BIG === '1' ? 2 * 1024 ** 3 : 32 * 1024 ** 2;

/** Bumped when the content changes, so an old file is not reused. */
const VERSION = 1;
const NOTE = 'n'.repeat(960);
/** Text of one write: records are gathered to about this many characters first. */
const WRITE_CHARS = 1 << 20;

/** A big file and what reading it must yield. */
export interface BigFile {
  path: string;
  format: Format;
  bytes: number;
  /** Records in the file, the bad one included. */
  records: number;
  /** Valid records: the rows that must land. */
  valid: number;
  /** Sum of the valid records' times in epoch ms, as a decimal string. */
  timeSum: string;
  /** The bad record: its index, line and byte range, and the reason it must be rejected with. */
  bad: Omit<ExpectedReject, 'reason'>;
}

/** The text of record `k`, malformed when `bad`. */
function recordText(format: Format, k: number, bad: boolean): string {
  const id = `p${k % 97}`;
  const val = bad ? 'oops' : String((k % 1000) / 4);
  const time = T0 + k;
  return format === 'csv' ? `${id},${val},${time},${NOTE}` : `{"id":"${id}","val":${val},"time":${time},"note":"${NOTE}"}`;
}

/** The reason the bad record must be rejected with, per format. */
export function badReason(format: Format): RegExp {
  return format === 'csv' ? /column "val": "oops" is not a number/ : /is not valid JSON/;
}

/** Streams a big file of `format` to `path` (about `bytes` long) and returns its description. */
async function writeBigFile(path: string, format: Format, bytes: number): Promise<BigFile> {
  const out = createWriteStream(path);
  const opening = format === 'csv' ? 'id,val,time,note\n' : format === 'json' ? '[\n' : '';
  const separator = format === 'json' ? ',\n' : '\n';
  let written = opening.length;
  let text = opening;
  let records = 0;
  let timeSum = 0n;
  let bad: BigFile['bad'] | undefined;
  while (written < bytes) {
    const k = records++;
    const isBad = bad === undefined && written >= bytes / 2;
    const record = recordText(format, k, isBad);
    const lead = format === 'json' && k > 0 ? separator : '';
    const trail = format === 'json' ? '' : separator;
    const start = written + lead.length;
    text += lead + record + trail;
    written += lead.length + record.length + trail.length;
    if (isBad) bad = { index: k, start, end: written + (format === 'json' ? 1 : 0), ...(format === 'json' ? {} : { line: k + (format === 'csv' ? 2 : 1) }) };
    else timeSum += BigInt(epochMillis(T0 + k));
    if (text.length >= WRITE_CHARS) {
      if (!out.write(text)) await once(out, 'drain');
      text = '';
    }
  }
  out.end(text + (format === 'json' ? '\n]\n' : ''));
  await once(out, 'finish');
  return { path, format, bytes, records, valid: records - 1, timeSum: timeSum.toString(), bad: bad! };
}

/** Where the big file of `format` and `bytes` lives. */
function bigFilePath(format: Format, bytes: number): string {
  return join(tmpdir(), 'sluice-corpus', `big-v${VERSION}-${bytes}.${EXTENSIONS[format]}`);
}

/** The big file of `format`: reused when a complete one is present, else written now. */
export async function bigFile(format: Format, bytes = BIG_FILE_BYTES): Promise<BigFile> {
  const path = bigFilePath(format, bytes);
  const described = `${path}.json`;
  try {
    return JSON.parse(await readFile(described, 'utf8')) as BigFile;
  } catch {
    // Not there (or not complete): write it.
  }
  await mkdir(join(tmpdir(), 'sluice-corpus'), { recursive: true });
  const partial = `${path}.partial`;
  const file = await writeBigFile(partial, format, bytes);
  await rename(partial, path);
  await writeFile(described, JSON.stringify({ ...file, path }));
  return { ...file, path };
}

/** Deletes the big file of `format` and its description. */
export async function removeBigFile(format: Format, bytes = BIG_FILE_BYTES): Promise<void> {
  const path = bigFilePath(format, bytes);
  await Promise.all([rm(path, { force: true }), rm(`${path}.json`, { force: true }), rm(`${path}.partial`, { force: true })]);
}
