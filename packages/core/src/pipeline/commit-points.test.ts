import { NEVER, Observable, Subject, firstValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { FlowControl, Position, Source, SourceRecord } from '../types.js';
import { FlowGate } from './flow-gate.js';
import { processBatches, type SourceBatch } from './read-batches.js';

/** Items of "files" of the given sizes; the last item of each file has `cursor: 'end'`. Honours flow control. */
function filesSource(sizes: readonly number[], tail = 0): Source<number> {
  return {
    name: 'files',
    read: (_from?: Position, options?: { flow?: FlowControl }) =>
      new Observable<SourceRecord<number>>((subscriber) => {
        void (async () => {
          let index = 0;
          for (const size of [...sizes, tail]) {
            for (let i = 0; i < size; i++) {
              await options?.flow?.ready();
              const end = i === size - 1 && index < sizes.reduce((a, b) => a + b, 0);
              subscriber.next({ kind: 'record', value: index, position: { index, ...(end ? { cursor: 'end' } : {}) } });
              index++;
            }
          }
          subscriber.complete();
        })();
      }),
  };
}

const atEnd = (position: Position) => position.cursor === 'end';

/** Runs processBatches and returns the batches it processed (releasing each from the gate). */
async function batchesOf(source: Source<number>, gate: FlowGate, batchSize: number, batchMs = 60_000, stop$: Observable<void> = NEVER) {
  const processed: SourceBatch<number>[] = [];
  await firstValueFrom(
    processBatches<number>(source, { batchSize, batchMs, gate, stop$, commitAt: atEnd }, async (batch) => {
      processed.push(batch);
      gate.release(batch.size);
    }).pipe(toArray()),
  );
  return processed;
}

describe('processBatches with commitAt', () => {
  it('closes batches only after a commit point, once batchSize is reached', async () => {
    const gate = new FlowGate(1000);
    const batches = await batchesOf(filesSource([7, 3, 12]), gate, 5);
    expect(batches.map((b) => b.size)).toEqual([7, 15]);
    expect(batches.map((b) => b.last)).toEqual([
      { index: 6, cursor: 'end' },
      { index: 21, cursor: 'end' },
    ]);
    expect(gate.pending).toBe(0);
  });

  it('reads a unit larger than maxBuffered without stalling (the open batch is not counted)', async () => {
    const gate = new FlowGate(4);
    const batches = await batchesOf(filesSource([10, 9]), gate, 2);
    expect(batches.map((b) => b.size)).toEqual([10, 9]);
    expect(gate.pending).toBe(0);
  });

  it('never processes the records after the last commit point, and releases them', async () => {
    const gate = new FlowGate(1000);
    const batches = await batchesOf(filesSource([4, 4], 3), gate, 1);
    expect(batches.map((b) => b.size)).toEqual([4, 4]);
    expect(batches.flatMap((b) => b.accepted.map((a) => a.value))).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(gate.pending).toBe(0);
  });

  it('closes on time at the next commit point, keeping the records after it open', async () => {
    const gate = new FlowGate(1000);
    const items = new Subject<SourceRecord<number>>();
    const source: Source<number> = { name: 'live', read: () => items };
    const processed: number[] = [];
    const done = firstValueFrom(
      processBatches<number>(source, { batchSize: 1000, batchMs: 20, gate, stop$: NEVER, commitAt: atEnd }, async (batch) => {
        processed.push(batch.size);
        gate.release(batch.size);
      }).pipe(toArray()),
    );
    const emit = (index: number, end = false) => items.next({ kind: 'record', value: index, position: { index, ...(end ? { cursor: 'end' } : {}) } });
    emit(0);
    emit(1, true);
    emit(2); // after the commit point: stays open when the timer closes the batch
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(processed).toEqual([2]);
    emit(3);
    await new Promise((resolve) => setTimeout(resolve, 60)); // timer due but no commit point yet
    expect(processed).toEqual([2]);
    emit(4, true); // due: closes at once
    expect(processed).toEqual([2, 3]);
    items.complete();
    await done;
    expect(gate.pending).toBe(0);
  });
});
