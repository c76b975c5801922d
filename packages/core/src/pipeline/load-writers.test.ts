import { describe, expect, it } from 'vitest';
import { ConfigError, SluiceError } from '../errors.js';
import { generatorSource } from '../sources/generator-source.js';
import type { Position, Row, WriteBatch } from '../types.js';
import { load } from './load.js';
import { scriptedStore } from './test-store.js';

/**
 * A keyed store in memory whose writes take a random while (so transactions end out of order),
 * checking at each commit that the checkpoint it saves is not ahead of a batch still uncommitted.
 * From the write of the row with id `failAt` on, every write of rows fails, until `repair()`.
 */
function racingStore(options: { failAt?: number } = {}) {
  const rows = new Map<number, Row>();
  const writes: number[] = [];
  let checkpoint: Position | undefined;
  let inFlight = 0;
  let maxInFlight = 0;
  let aheadOfCommits = 0;
  let failAt = options.failAt;
  let broken = false;
  const store = scriptedStore({
    name: 'racing',
    write: async (batch: WriteBatch) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 1 + Math.floor(Math.random() * 15)));
      inFlight--;
      if (failAt !== undefined && batch.rows.some((r) => r.id === failAt)) broken = true;
      if (broken && batch.rows.length > 0) throw new SluiceError('disk full', { retriable: false });
      for (const row of batch.rows) rows.set(row.id as number, row);
      writes.push(batch.rows.length);
      if (batch.checkpoint) {
        const upTo = batch.checkpoint.position.index as number;
        for (let id = 0; id <= upTo; id++) if (!rows.has(id)) aheadOfCommits++;
        checkpoint = batch.checkpoint.position;
      }
      return { written: batch.rows.length, deadLetters: 0 };
    },
    readCheckpoint: async () => checkpoint,
  });
  return { store, rows, writes, checkpoint: () => checkpoint, stats: () => ({ maxInFlight, aheadOfCommits }), repair: () => ((broken = false), (failAt = undefined)), writing: () => inFlight };
}

const source = (count: number) => generatorSource({ name: 'gen', count, make: (i) => ({ id: i }), chunkSize: 50 });

describe('load with several writers', () => {
  it('keeps that many batches in flight, writes every row, and never saves a checkpoint ahead of an uncommitted batch', async () => {
    const { store, rows, checkpoint, stats } = racingStore();
    const run = load<{ id: number }>({ source: source(2000), store, table: 't', toRow: (v) => v, batchSize: 40, writers: 3, incremental: false });
    const summary = await run.done;
    expect(summary.persisted).toBe(2000);
    expect([...rows.keys()].sort((a, b) => a - b)).toEqual(Array.from({ length: 2000 }, (_, i) => i));
    expect(stats()).toEqual({ maxInFlight: 3, aheadOfCommits: 0 });
    expect(checkpoint()).toEqual({ index: 1999 });
    expect(summary.position).toEqual({ index: 1999 });
  });

  it('after a failed batch, a resumed run loses nothing (it may write a few batches again)', async () => {
    const { store, rows, stats, repair, writing } = racingStore({ failAt: 1234 });
    const first = load<{ id: number }>({ source: source(3000), store, table: 't', toRow: (v) => v, batchSize: 50, writers: 2 });
    await expect(first.done).rejects.toThrow(/disk full/);
    expect(writing()).toBe(0); // the run failed only after its other transaction ended
    expect(rows.size).toBeLessThan(3000);
    repair();
    const second = load<{ id: number }>({ source: source(3000), store, table: 't', toRow: (v) => v, batchSize: 50, writers: 2 });
    await second.done;
    expect(rows.size).toBe(3000);
    expect(stats().aheadOfCommits).toBe(0);
  });

  it('refuses writers that are not a whole number from 1 to 64, and several writers in append mode', () => {
    const { store } = racingStore();
    const opts = { source: source(1), store, table: 't', toRow: (v: { id: number }) => v };
    for (const writers of [0, 1.5, 65]) expect(() => load({ ...opts, writers })).toThrow(ConfigError);
    expect(() => load({ ...opts, writers: 2, mode: 'append' })).toThrow(/append mode would store twice/);
  });
});

describe('load without checkpoints', () => {
  it('writes every row and no checkpoint, neither with the batches nor at the end, and reads none', async () => {
    const { store, rows, checkpoint } = racingStore();
    let reads = 0;
    const counting = { ...store, readCheckpoint: async (stream: string) => (reads++, store.readCheckpoint(stream)) };
    for (const writers of [1, 3]) {
      const summary = await load<{ id: number }>({ source: source(500), store: counting, table: 't', toRow: (v) => v, batchSize: 40, writers, checkpoints: false }).done;
      expect(summary.persisted).toBe(500);
    }
    expect(rows.size).toBe(500);
    expect(checkpoint()).toBeUndefined();
    expect(reads).toBe(0);
  });

  it('is refused together with incremental mode, which needs them', () => {
    const { store } = racingStore();
    expect(() => load<{ id: number }>({ source: source(1), store, table: 't', toRow: (v) => v, checkpoints: false, incremental: true })).toThrow(ConfigError);
  });
});
