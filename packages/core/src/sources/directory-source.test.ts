import { mkdtemp, rm, unlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Observable } from 'rxjs';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, SourceError } from '../errors.js';
import { collectRecords, sourceContract, type SampleRecord } from '../testkit/source-contract.js';
import type { Position, Source, SourceRecord } from '../types.js';
import { csvSource } from './csv-source.js';
import { directoryCursor, directorySource, isFileEnd } from './directory-source.js';
import { ndjsonSource } from './ndjson-source.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

/** A new empty temp folder, removed after the suite. */
async function folder(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-directory-'));
  dirs.push(dir);
  return dir;
}

/** Writes `files` (name → content) into a new folder; resolves with its path. */
async function folderWith(files: Record<string, string>): Promise<string> {
  const dir = await folder();
  for (const [file, content] of Object.entries(files)) await writeFile(join(dir, file), content);
  return dir;
}

const ndjsonLines = (records: readonly unknown[]) => records.map((r) => `${JSON.stringify(r)}\n`).join('');

/** `records` split over `parts` files named so that name order is record order (and not creation order). */
function split<R>(records: readonly R[], parts: number): R[][] {
  const size = Math.ceil(records.length / parts) || 1;
  return Array.from({ length: parts }, (_, k) => records.slice(k * size, (k + 1) * size));
}

/** A CSV field, quoted when it needs to be. */
function field(value: string | number): string {
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

describe('directorySource: source contract over NDJSON files', () => {
  sourceContract(it, {
    create: async (records, { chunkSize } = {}) => {
      const dir = await folder();
      // Written last part first: the read order must come from the names.
      const parts = split(records, 3).reverse();
      for (const [k, part] of parts.entries()) await writeFile(join(dir, `part-${String(parts.length - 1 - k).padStart(3, '0')}.ndjson`), ndjsonLines(part));
      await writeFile(join(dir, 'notes.txt'), 'not data\n');
      await writeFile(join(dir, '.part-999.ndjson'), '{"hidden": true}\n');
      return directorySource<SampleRecord>({ dir, extensions: ['.ndjson'], open: (path) => ndjsonSource({ path, chunkSize }) });
    },
  });
});

describe('directorySource: source contract over CSV files', () => {
  sourceContract(it, {
    create: async (records, { chunkSize } = {}) => {
      const dir = await folder();
      for (const [k, part] of split(records, 4).entries()) {
        const rows = ['id,name,val', ...part.map((r) => [r.id, r.name, r.val].map(field).join(','))];
        await writeFile(join(dir, `2023-01-01 00:0${k}:00.csv`), `${rows.join('\n')}\n`);
      }
      return directorySource<SampleRecord>({ dir, extensions: ['.CSV'], open: (path) => csvSource({ path, chunkSize, types: { id: 'number', val: 'number' } }) });
    },
  });
});

/** The file and inner position of each item, and whether it ends its file. */
function trail(items: readonly SourceRecord<unknown>[]) {
  return items.map((item) => {
    const cursor = directoryCursor(item.position)!;
    return { index: item.position.index, file: cursor.file, line: cursor.at?.line, end: isFileEnd(item.position) };
  });
}

describe('directorySource: files, positions and resuming', () => {
  it('reads the wanted files in name order and marks the last item of each file', async () => {
    const dir = await folderWith({
      'b.ndjson': ndjsonLines([{ n: 3 }]),
      'a.ndjson': ndjsonLines([{ n: 1 }, { n: 2 }]),
      'c.ndjson': '',
      'd.ndjson.tmp': ndjsonLines([{ n: 99 }]),
      'e.ndjson': ndjsonLines([{ n: 4 }, { skip: true }, { n: 5 }]),
    });
    const source = directorySource<{ n: number }>({
      dir,
      extensions: ['.ndjson'],
      filter: (file) => file !== 'x.ndjson',
      open: (path) => ndjsonSource({ path }),
    });
    const items = await collectRecords(source.read());
    expect(items.map((item) => (item.kind === 'record' ? item.value : item))).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }, { n: 4 }, { skip: true }, { n: 5 }]);
    expect(trail(items)).toEqual([
      { index: 0, file: 'a.ndjson', line: 1, end: false },
      { index: 1, file: 'a.ndjson', line: 2, end: true },
      { index: 2, file: 'b.ndjson', line: 1, end: true },
      { index: 3, file: 'e.ndjson', line: 1, end: false },
      { index: 4, file: 'e.ndjson', line: 2, end: false },
      { index: 5, file: 'e.ndjson', line: 3, end: true },
    ]);
    expect(directoryCursor(items[1]!.position)).toEqual({ file: 'a.ndjson', at: { offset: 16, line: 2, index: 1 }, end: true });
    expect(source.name).toBe(dir.split('/').at(-1));
  });

  it('resumes inside a file, after a finished file, and past a file deleted since the checkpoint', async () => {
    const dir = await folderWith({
      'a.ndjson': ndjsonLines([{ n: 1 }, { n: 2 }]),
      'b.ndjson': ndjsonLines([{ n: 3 }, { n: 4 }]),
      'c.ndjson': ndjsonLines([{ n: 5 }]),
    });
    const source = directorySource<{ n: number }>({ dir, open: (path) => ndjsonSource({ path }) });
    const items = await collectRecords(source.read());
    const after = async (position: Position) => (await collectRecords(source.read(position))).map((item) => item.kind === 'record' && item.value.n);
    expect(await after(items[0]!.position)).toEqual([2, 3, 4, 5]);
    expect(await after(items[1]!.position)).toEqual([3, 4, 5]);
    expect(await after(items[2]!.position)).toEqual([4, 5]);
    // A file that appears later with a name before the checkpoint's file is not read; one after it is.
    await writeFile(join(dir, 'a2.ndjson'), ndjsonLines([{ n: 100 }]));
    expect(await after(items[2]!.position)).toEqual([4, 5]);
    expect(await after(items[1]!.position)).toEqual([100, 3, 4, 5]);
    await unlink(join(dir, 'b.ndjson'));
    expect(await after(items[2]!.position)).toEqual([5]);
    expect((await collectRecords(source.read(items[2]!.position)))[0]!.position.index).toBe(3);
    // A position of another source starts over when it has no cursor, and fails when its cursor is foreign.
    expect(await after({ index: 7, offset: 12 })).toEqual([1, 2, 100, 5]);
    await expect(collectRecords(source.read({ index: 1, cursor: 'since=42' }))).rejects.toThrow(/is not a position of a directory source/);
  });

  it('turns a file that cannot be read into one reject that ends the file, and reads on', async () => {
    const dir = await folderWith({
      'a.csv': 'id,name\n1,x\n',
      'b.csv': 'id,id\n1,2\n',
      'c.csv': 'id,name\n3,z\n',
    });
    const source = directorySource({ dir, open: (path) => csvSource({ path }) });
    const items = await collectRecords(source.read());
    expect(items.map((item) => item.kind)).toEqual(['record', 'reject', 'record']);
    const reject = items[1]!;
    expect(reject).toMatchObject({ kind: 'reject', raw: 'b.csv', position: { index: 1 } });
    expect(reject.kind === 'reject' && reject.reason).toMatch(/^file b\.csv could not be read: .*names column "id" twice/);
    expect(directoryCursor(reject.position)).toEqual({ file: 'b.csv', end: true, failed: true });
    expect(items.map((item) => isFileEnd(item.position))).toEqual([true, true, true]);
    // Resuming after the failed file goes on with the next one.
    expect((await collectRecords(source.read(reject.position))).map((item) => item.kind === 'record' && item.value)).toEqual([{ id: '3', name: 'z' }]);
    // With onFileError: 'fail' the read fails on it, after the records before it.
    const strict = directorySource({ dir, onFileError: 'fail', open: (path) => csvSource({ path }) });
    const seen: unknown[] = [];
    await expect(
      new Promise((resolve, reject) => strict.read().subscribe({ next: (item) => seen.push(item), error: reject, complete: () => resolve(undefined) })),
    ).rejects.toBeInstanceOf(SourceError);
    expect(seen.length).toBe(1);
  });

  it('fails the read on a retriable error of a file source, even with onFileError: reject', async () => {
    const dir = await folderWith({ 'a.x': '', 'b.x': '' });
    const flaky: Source<never> = {
      name: 'flaky',
      read: () => new Observable((subscriber) => subscriber.error(new SourceError('connection reset', 'flaky', { retriable: true }))),
    };
    const source = directorySource({ dir, open: () => flaky });
    await expect(collectRecords(source.read())).rejects.toMatchObject({ message: 'connection reset', retriable: true });
  });

  it('completes on an empty folder and fails with a SourceError on a missing one', async () => {
    const empty = await folder();
    expect(await collectRecords(directorySource({ dir: empty, open: (path) => ndjsonSource({ path }) }).read())).toEqual([]);
    const missing = join(empty, 'nope');
    await expect(collectRecords(directorySource({ dir: missing, open: (path) => ndjsonSource({ path }) }).read())).rejects.toThrow(
      new RegExp(`cannot list the folder ${missing}`),
    );
    expect(() => directorySource({ dir: empty, onFileError: 'skip' as never, open: (path) => ndjsonSource({ path }) })).toThrow(ConfigError);
  });
});

describe('directorySource: watching', () => {
  /** Resolves once `condition()` holds (bounded, so a stuck watch fails instead of hanging). */
  async function until(condition: () => boolean, what: string): Promise<void> {
    for (let k = 0; k < 500 && !condition(); k++) await new Promise((resolve) => setTimeout(resolve, 10));
    if (!condition()) throw new Error(`timed out waiting for ${what}`);
  }
  const past = new Date(Date.now() - 60_000);

  it('reads new files as they settle, in name order, until unsubscribed', async () => {
    const dir = await folderWith({ '001.ndjson': ndjsonLines([{ n: 1 }]) });
    await utimes(join(dir, '001.ndjson'), past, past);
    const source = directorySource<{ n: number }>({ dir, watch: { intervalMs: 20, settleMs: 5_000 }, open: (path) => ndjsonSource({ path }) });
    const items: SourceRecord<{ n: number }>[] = [];
    let completed = false;
    const subscription = source.read().subscribe({ next: (item) => items.push(item), complete: () => (completed = true) });
    await until(() => items.length === 1, 'the first file');
    // A fresh file (modified just now) waits for settleMs; an older one after it waits behind it.
    await writeFile(join(dir, '002.ndjson'), ndjsonLines([{ n: 2 }]));
    await writeFile(join(dir, '003.ndjson'), ndjsonLines([{ n: 3 }, { n: 4 }]));
    await utimes(join(dir, '003.ndjson'), past, past);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(items.length).toBe(1);
    await utimes(join(dir, '002.ndjson'), past, past);
    await until(() => items.length === 4, 'the files written while watching');
    expect(trail(items).map(({ file, end }) => [file, end])).toEqual([
      ['001.ndjson', true],
      ['002.ndjson', true],
      ['003.ndjson', false],
      ['003.ndjson', true],
    ]);
    subscription.unsubscribe();
    await writeFile(join(dir, '004.ndjson'), ndjsonLines([{ n: 5 }]));
    await utimes(join(dir, '004.ndjson'), past, past);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(items.length).toBe(4);
    expect(completed).toBe(false);
  });
});
