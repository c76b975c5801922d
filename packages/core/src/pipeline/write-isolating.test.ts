import { describe, expect, it } from 'vitest';
import { SluiceError, StoreError } from '../errors.js';
import type { Checkpoint, DeadLetter, Row, WriteBatch } from '../types.js';
import { scriptedStore } from './test-store.js';
import { writeIsolating } from './write-isolating.js';

/** A store that commits atomically in memory and refuses rows with `bad: true` (non-retriable). */
function refusingStore(options: { failFirst?: number; refuseAll?: boolean } = {}) {
  const rows: Row[] = [];
  const letters: DeadLetter[] = [];
  let checkpoint: Checkpoint | undefined;
  let transient = options.failFirst ?? 0;
  let writes = 0;
  const store = scriptedStore({
    name: 'test',
    write: async (batch: WriteBatch) => {
      writes++;
      if (transient > 0) {
        transient--;
        throw new StoreError('connection reset', 'write', batch.table, { retriable: true });
      }
      if (batch.rows.some((r) => r.bad) || (options.refuseAll && batch.rows.length > 0)) {
        throw new StoreError('value out of range', 'write', batch.table);
      }
      rows.push(...batch.rows);
      letters.push(...(batch.deadLetters ?? []));
      if (batch.checkpoint) checkpoint = batch.checkpoint;
      return { written: batch.rows.length, deadLetters: batch.deadLetters?.length ?? 0 };
    },
    readCheckpoint: async () => checkpoint?.position,
    readDeadLetters: async () => letters,
  });
  return { store, rows, letters, checkpoint: () => checkpoint, writes: () => writes };
}

const retry = { policy: { initialDelayMs: 1, maxDelayMs: 2, maxAttempts: 4 } };
const checkpoint = { stream: 's', position: { index: 99 } };

describe('writeIsolating', () => {
  it('writes a good batch in one call', async () => {
    const s = refusingStore();
    const result = await writeIsolating(s.store, { table: 't', rows: [{ id: 1 }, { id: 2 }], checkpoint }, 'src', retry);
    expect(result.persisted).toBe(2);
    expect(s.writes()).toBe(1);
    expect(s.checkpoint()).toEqual(checkpoint);
  });

  it('dead-letters exactly the refused rows and commits the rest with the checkpoint last', async () => {
    const s = refusingStore();
    const rows = Array.from({ length: 50 }, (_, i) => ({ id: i, bad: i === 7 || i === 31 }));
    const own = { origin: 'src', reason: 'invalid', payload: '{}', at: 1 };
    const result = await writeIsolating(s.store, { table: 't', rows, deadLetters: [own], checkpoint }, 'src', retry);
    expect(result.persisted).toBe(48);
    expect(s.rows.map((r) => r.id)).toEqual(rows.filter((r) => !r.bad).map((r) => r.id));
    expect(s.letters.map((l) => l.reason)).toEqual(['invalid', expect.stringContaining('value out of range'), expect.stringContaining('value out of range')]);
    expect(result.letters).toHaveLength(3);
    expect(s.checkpoint()).toEqual(checkpoint);
  });

  it('retries transient failures and fails loudly past the budget without writing', async () => {
    const ok = refusingStore({ failFirst: 2 });
    await expect(writeIsolating(ok.store, { table: 't', rows: [{ id: 1 }] }, 'src', retry)).resolves.toMatchObject({ persisted: 1 });
    const down = refusingStore({ failFirst: 100 });
    await expect(writeIsolating(down.store, { table: 't', rows: [{ id: 1 }], checkpoint }, 'src', retry)).rejects.toThrow(/failed 4 times/);
    expect(down.rows).toHaveLength(0);
    expect(down.checkpoint()).toBeUndefined();
  });

  it('rethrows when the store refuses every row (not a data problem) and writes nothing', async () => {
    const s = refusingStore({ refuseAll: true });
    await expect(writeIsolating(s.store, { table: 't', rows: [{ id: 1 }, { id: 2 }, { id: 3 }], checkpoint }, 'src', retry)).rejects.toBeInstanceOf(SluiceError);
    expect(s.letters).toHaveLength(0);
    expect(s.checkpoint()).toBeUndefined();
  });
});
