import { NEVER, Observable, firstValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { SourceError } from '../errors.js';
import type { Source, SourceRecord } from '../types.js';
import { FlowGate } from './flow-gate.js';
import { processBatches, type SourceBatch } from './read-batches.js';

/** A source that emits `count` records and then fails. */
function failingSource(count: number): Source<number> {
  return {
    name: 'failing',
    read: () =>
      new Observable<SourceRecord<number>>((subscriber) => {
        for (let i = 0; i < count; i++) subscriber.next({ kind: 'record', value: i, position: { index: i } });
        subscriber.error(new SourceError('connection reset mid-stream', 'failing', { retriable: true }));
      }),
  };
}

describe('processBatches', () => {
  it('processes the records read before a source failure, then fails', async () => {
    const gate = new FlowGate(1000);
    const processed: SourceBatch<number>[] = [];
    const run = processBatches<number>(failingSource(25), { batchSize: 10, batchMs: 10_000, gate, stop$: NEVER }, async (batch) => {
      await new Promise((resolve) => setTimeout(resolve, 5)); // the last batch must finish before the error
      processed.push(batch);
      gate.release(batch.size);
    });
    await expect(firstValueFrom(run.pipe(toArray()))).rejects.toThrow(/connection reset mid-stream/);
    expect(processed.map((b) => b.size)).toEqual([10, 10, 5]);
    expect(processed.at(-1)!.last).toEqual({ index: 24 });
    expect(gate.pending).toBe(0);
  });
});
