/**
 * The source contract: the behaviour every `Source` must show, as a vitest suite. A source's suite
 * file is a factory plus one call:
 *
 * ```ts
 * const files = tempFiles('sluice-ndjson-');
 * afterAll(() => files.remove());
 * describe('ndjson source contract', () =>
 *   sourceContract(it, {
 *     create: async (records, { chunkSize } = {}) =>
 *       ndjsonSource({ path: await files.write(records.map((r) => JSON.stringify(r)).join('\n'), 'ndjson'), chunkSize }),
 *   }));
 * ```
 *
 * Waits are bounded, so a source that never completes fails its case instead of hanging the run.
 */
import { readdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lastValueFrom, take, tap, toArray, type Observable } from 'rxjs';
import { expect, type TestAPI } from 'vitest';
import type { FlowControl, Position, Source, SourceRecord } from '../types.js';

/** The records the suite writes and expects back. A CSV factory types `id` and `val` as numbers. */
export type SampleRecord = { id: number | string; name: string; val: number };

/** Hints the suite gives a factory. */
export interface SourceFactoryHints {
  /**
   * A small chunk size to pass to the source (bytes for file sources, records for a generator), so
   * that the records span many chunks. Absent: the source's default.
   */
  chunkSize?: number;
}

/** How `sourceContract` makes the source under test. */
export interface SourceContractOptions {
  /** Writes `records` in the source's format (e.g. to a temp file) and returns a source over them. */
  create(records: readonly SampleRecord[], hints?: SourceFactoryHints): Promise<Source<SampleRecord>>;
}

/** Names that stress quoting and decoding: delimiters, quotes, line ends, escapes, non-ASCII text. */
export const TRICKY_NAMES: readonly string[] = [
  'comma, inside',
  'quote " inside',
  '"starts and ends with quotes"',
  'line\nbreak',
  'crlf\r\nbreak',
  'tab\tand back\\slash',
  'ünïcødé ✓ 日本語 🚀',
  '  spaced  ',
  '',
  '{"looks": ["like", "json"]}, [1, 2]',
];

/** `count` deterministic sample records, ids from `first`. */
export function sampleRecords(count: number, first = 0): SampleRecord[] {
  return Array.from({ length: count }, (_, k) => {
    const id = first + k;
    return { id, name: `name ${id}`, val: (id * 37) / 8 - 12.5 };
  });
}

/** Every item `observable` emits, once it completes. */
export function collectRecords<T>(observable: Observable<SourceRecord<T>>): Promise<SourceRecord<T>[]> {
  return lastValueFrom(observable.pipe(toArray()));
}

/** Temp files for factories and format tests, in one directory that `remove()` deletes. */
export interface TempFiles {
  /** Writes `content` to a new file with extension `extension`; resolves with its path. */
  write(content: string | Uint8Array, extension?: string): Promise<string>;
  /** Deletes the directory and every file written. */
  remove(): Promise<void>;
}

/** A {@link TempFiles} under the OS temp directory, its directory named with `prefix`. */
export function tempFiles(prefix = 'sluice-source-'): TempFiles {
  let dir: Promise<string> | undefined;
  let written = 0;
  return {
    async write(content, extension = 'txt') {
      dir ??= mkdtemp(join(tmpdir(), prefix));
      const path = join(await dir, `${++written}.${extension}`);
      await writeFile(path, content);
      return path;
    },
    async remove() {
      if (dir) await rm(await dir, { recursive: true, force: true });
    },
  };
}

/** Registers the source contract cases with vitest's `it`. */
export function sourceContract(it: TestAPI, options: SourceContractOptions): void {
  const { create } = options;

  it('reads every record in order, each position after the previous one, and releases its input at the end', async () => {
    const records = sampleRecords(30);
    const source = await create(records);
    const descriptorsBefore = openDescriptors();
    const items = await collectRecords(source.read());
    expect(items.map((item) => item.kind)).toEqual(records.map(() => 'record'));
    expect(values(items)).toEqual(records);
    expect(positionOrderError(items)).toBeUndefined();
    expect(openDescriptors(), 'open file descriptors once completed').toBe(descriptorsBefore);
  });

  it('is cold: every subscription reads from the start', async () => {
    const records = sampleRecords(12);
    const observable = (await create(records)).read();
    const [first, second] = await Promise.all([collectRecords(observable), collectRecords(observable)]);
    expect(values(first!)).toEqual(records);
    expect(values(second!)).toEqual(records);
  });

  it('resumes after the position of record k with exactly the records after it', async () => {
    const records = sampleRecords(30);
    const source = await create(records);
    const items = await collectRecords(source.read());
    for (const k of [0, 1, 14, records.length - 2, records.length - 1]) {
      const resumed = await collectRecords(source.read(items[k]!.position));
      expect(values(resumed), `resuming after record ${k}`).toEqual(records.slice(k + 1));
      expect(resumed.map((item) => item.position), `positions after resuming after record ${k}`).toEqual(
        items.slice(k + 1).map((item) => item.position),
      );
    }
  });

  it('completes with no records on an empty input', async () => {
    expect(await collectRecords((await create([])).read())).toEqual([]);
  });

  it('keeps commas, quotes, line breaks, escapes and non-ASCII text intact', async () => {
    const records = TRICKY_NAMES.map((name, id) => ({ id, name, val: id / 4 }));
    const source = await create(records);
    const items = await collectRecords(source.read());
    expect(values(items)).toEqual(records);
    expect(values(await collectRecords(source.read(items[3]!.position)))).toEqual(records.slice(4));
  });

  it('stops reading when unsubscribed early, without an error', async () => {
    const records = sampleRecords(3000);
    const source = await create(records, { chunkSize: 1024 });
    let readyCalls = 0;
    let emitted = 0;
    let failure: unknown;
    const flow: FlowControl = { ready: () => void readyCalls++ };
    const descriptorsBefore = openDescriptors();
    const taken = await collectRecords(
      source.read(undefined, { flow }).pipe(
        tap({ next: () => void emitted++, error: (error: unknown) => void (failure = error) }),
        take(3),
      ),
    );
    const callsAtStop = readyCalls;
    await settle();
    expect(values(taken)).toEqual(records.slice(0, 3));
    expect(emitted, 'records emitted after unsubscribing').toBe(3);
    expect(readyCalls, 'chunks read after unsubscribing').toBe(callsAtStop);
    expect(failure).toBeUndefined();
    expect(openDescriptors(), 'open file descriptors after unsubscribing').toBe(descriptorsBefore);
  });

  it('releases its input when unsubscribed while flow.ready() is pending', async () => {
    const source = await create(sampleRecords(3000), { chunkSize: 1024 });
    const descriptorsBefore = openDescriptors();
    let readyCalls = 0;
    let failure: unknown;
    const flow: FlowControl = { ready: () => (++readyCalls === 1 ? undefined : new Promise<void>(() => undefined)) };
    const subscription = source.read(undefined, { flow }).subscribe({ error: (error: unknown) => void (failure = error) });
    await waitFor(() => readyCalls >= 2, 'the source to ask flow.ready() a second time');
    subscription.unsubscribe();
    await settle();
    expect(readyCalls, 'chunks handled after unsubscribing').toBe(2);
    expect(failure).toBeUndefined();
    expect(openDescriptors(), 'open file descriptors after unsubscribing').toBe(descriptorsBefore);
  });

  it('emits nothing while flow.ready() is pending and goes on once it resolves', async () => {
    const records = sampleRecords(3000);
    const source = await create(records, { chunkSize: 1024 });
    const received: SourceRecord<SampleRecord>[] = [];
    let readyCalls = 0;
    let receivedWhenBlocked = -1;
    let open: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const flow: FlowControl = {
      ready() {
        readyCalls++;
        if (readyCalls !== 2) return undefined;
        receivedWhenBlocked = received.length;
        return gate;
      },
    };
    const done = new Promise<void>((resolve, reject) => {
      source.read(undefined, { flow }).subscribe({ next: (item) => void received.push(item), error: reject, complete: resolve });
    });
    await waitFor(() => readyCalls >= 2, 'the source to ask flow.ready() a second time');
    await settle();
    expect(receivedWhenBlocked, 'records of the first chunk').toBeGreaterThan(0);
    expect(receivedWhenBlocked, 'records of the first chunk').toBeLessThan(records.length);
    expect(received.length, 'records emitted while ready() was pending').toBe(receivedWhenBlocked);
    expect(readyCalls, 'chunks handled while ready() was pending').toBe(2);
    open();
    await done;
    expect(values(received)).toEqual(records);
    expect(readyCalls).toBeGreaterThan(2);
  });

  it('reads a large input (50,000 records) to the end', async () => {
    const records = sampleRecords(50_000);
    const items = await collectRecords((await create(records)).read());
    expect(items.length).toBe(records.length);
    expect(items.filter((item) => item.kind !== 'record')).toEqual([]);
    expect(values([items[0]!, items[24_999]!, items[49_999]!])).toEqual([records[0], records[24_999], records[49_999]]);
    expect(positionOrderError(items)).toBeUndefined();
  });
}

/** The values of the records among `items` (rejects left out: a test comparing them sees any). */
function values<T>(items: readonly SourceRecord<T>[]): (T | SourceRecord<T>)[] {
  return items.map((item) => (item.kind === 'record' ? item.value : item));
}

const POSITION_FIELDS = ['offset', 'line', 'index'] as const;

/** Why the positions of `items` are not strictly increasing, or `undefined` when they are. */
function positionOrderError(items: readonly SourceRecord<unknown>[]): string | undefined {
  for (let k = 1; k < items.length; k++) {
    const before: Position = items[k - 1]!.position;
    const after: Position = items[k]!.position;
    const shared = POSITION_FIELDS.filter((field) => before[field] !== undefined && after[field] !== undefined);
    if (shared.length === 0) return `items ${k - 1} and ${k} share no position field: ${JSON.stringify([before, after])}`;
    const stuck = shared.find((field) => after[field]! <= before[field]!);
    if (stuck) return `${stuck} does not increase from item ${k - 1} to ${k}: ${JSON.stringify([before, after])}`;
  }
  return undefined;
}

/** Lets pending reads, timers and callbacks run (a few turns of the event loop and a short pause). */
async function settle(): Promise<void> {
  for (let turn = 0; turn < 5; turn++) await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setTimeout(resolve, 50));
  for (let turn = 0; turn < 5; turn++) await new Promise((resolve) => setImmediate(resolve));
}

/** Resolves once `condition()` holds; fails after about 10 s so a stuck source does not hang the run. */
async function waitFor(condition: () => boolean, what: string): Promise<void> {
  for (let attempt = 0; attempt < 1000; attempt++) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`Timed out waiting for ${what}.`);
}

/** How many file descriptors this process has open (Linux), or `undefined` where that is unknown. */
function openDescriptors(): number | undefined {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return undefined;
  }
}
