import { describe, expect, it } from 'vitest';
import { createMemoryBroker } from '../broker/memory-broker.js';
import { generatorSource } from '../sources/generator-source.js';
import type { Row, WriteBatch } from '../types.js';
import { ingest } from './ingest.js';
import { load } from './load.js';
import { persist } from './persist.js';
import { scriptedStore } from './test-store.js';

/**
 * A store whose writes take a while and that counts how prepare and write calls interleave: batch
 * k + 1 must be prepared while batch k is still being written, and each write must get the batch
 * prepared for it.
 */
function slowStore() {
  const prepared = new WeakSet<WriteBatch>();
  const rows: Row[] = [];
  let writing = 0;
  let preparedWhileWriting = 0;
  let unprepared = 0;
  const store = scriptedStore({
    name: 'slow',
    prepare: (batch) => {
      prepared.add(batch);
      if (writing > 0) preparedWhileWriting++;
    },
    write: async (batch) => {
      if (!prepared.has(batch)) unprepared++;
      writing++;
      await new Promise((resolve) => setTimeout(resolve, 20));
      rows.push(...batch.rows);
      writing--;
      return { written: batch.rows.length, deadLetters: 0 };
    },
  });
  return { store, rows, stats: () => ({ preparedWhileWriting, unprepared }) };
}

const source = () => generatorSource({ name: 'gen', count: 1000, make: (i) => ({ id: i }), chunkSize: 100 });

describe('prepare ahead', () => {
  it('load prepares batch k + 1 while batch k is written, and writes every row once in order', async () => {
    const { store, rows, stats } = slowStore();
    const run = load<{ id: number }>({ source: source(), store, table: 't', toRow: (v) => v, batchSize: 100, incremental: false });
    expect((await run.done).persisted).toBe(1000);
    expect(rows.map((r) => r.id)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(stats().unprepared).toBe(0);
    expect(stats().preparedWhileWriting).toBeGreaterThan(0);
  });

  it('persist prepares delivery k + 1 while delivery k is written', async () => {
    const { store, rows, stats } = slowStore();
    const broker = createMemoryBroker();
    const producer = ingest<{ id: number }>({ source: source(), broker, topic: 'x', key: (v) => String(v.id), batchSize: 100 });
    const consumer = persist<{ id: number }>({ broker, topic: 'x', group: 'g', store, table: 't', toRow: (v) => v, batchSize: 100, idleStopMs: 300 });
    await producer.done;
    expect((await consumer.done).persisted).toBe(1000);
    expect(rows.map((r) => r.id)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(stats().unprepared).toBe(0);
    expect(stats().preparedWhileWriting).toBeGreaterThan(0);
    await broker.close();
  });
});
