/** `prepare(batch)` then `write(batch)` must do exactly what `write(batch)` alone does. */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { storeContract } from '@sluice/core/testkit';
import type { Row, Store, WriteBatch } from '@sluice/core';
import { createSqliteStore } from '../src/index.js';
import { tempDatabases } from './temp-dir.js';
import { typedSpec } from './typed-spec.js';

const nextFile = tempDatabases('prepare');

const spec = typedSpec;
/** The columns every row of `spec` needs besides its key. */
const base = { flag: true, at: 0, doc: {} };

const letter = { origin: 'src', reason: 'bad', payload: '{}', at: 1_700_000_000_000 };

/** Batches of every kind, good and bad; each is written to a store that holds the rows before it. */
const batches: Array<[string, WriteBatch]> = [
  ['rows of every type', { table: 'typed', rows: [{ id: 1, flag: 1, at: new Date(5), doc: { a: [1] }, n: '7', x: '0.25', s: 'a' }, { ...base, id: 2n, at: '2024-01-02T03:04:05Z', x: 1.5 }] }],
  ['duplicate keys (the last wins)', { table: 'typed', rows: [{ ...base, id: 3, s: 'first' }, { ...base, id: 3, at: 2, s: 'last' }] }],
  ['more rows than one statement holds', { table: 'typed', rows: Array.from({ length: 1_500 }, (_, i): Row => ({ ...base, id: 100 + i, at: i, x: i / 3 })) }],
  ['rows, dead letters and a checkpoint', { table: 'typed', rows: [{ ...base, id: 4 }], deadLetters: [letter], checkpoint: { stream: 's', position: { offset: 9 } } }],
  ['dead letters only', { rows: [], deadLetters: [{ ...letter, key: 'k', position: { line: 3 } }] }],
  ['a checkpoint only', { rows: [], checkpoint: { stream: 's', position: { offset: 10 } } }],
  ['append mode on a stored key', { table: 'typed', mode: 'append', rows: [{ ...base, id: 1 }] }],
  ['an unknown column', { table: 'typed', rows: [{ ...base, id: 5 }, { ...base, id: 6, nope: 1 }] }],
  ['a NULL key', { table: 'typed', rows: [{ ...base, id: null }] }],
  ['a value of the wrong type', { table: 'typed', rows: [{ ...base, id: 7, at: 'not a date' }] }],
  ['a bad dead letter', { rows: [], deadLetters: [{ ...letter, at: 'never' as never }] }],
  ['an unknown mode', { table: 'typed', mode: 'upsert' as never, rows: [{ ...base, id: 8 }] }],
  ['an unmigrated table', { table: 'missing', rows: [{ id: 9 }] }],
  ['a table name that is not an identifier', { table: 'x; DROP TABLE typed', rows: [{ id: 9 }] }],
  ['rows without a table', { rows: [{ id: 10 }] }],
  ['rows that are not an array', { table: 'typed', rows: 'nope' as never }],
];

type Outcome = { result: unknown } | { error: { name: string; message: string } };

async function outcome(call: Promise<unknown>): Promise<Outcome> {
  return call.then(
    (result) => ({ result }),
    (error: Error) => ({ error: { name: error.name, message: error.message } }),
  );
}

/** Writes every batch in order (preparing each first if asked); returns each outcome and the tables after. */
async function writeAll(prepare: boolean): Promise<{ outcomes: Outcome[]; tables: unknown[] }> {
  const store = createSqliteStore({ filename: nextFile() });
  try {
    await store.migrate([spec]);
    const outcomes: Outcome[] = [];
    for (const [, batch] of batches) {
      if (prepare) store.prepare?.(batch);
      outcomes.push(await outcome(store.write(batch)));
    }
    const tables = [
      await store.query('SELECT CAST(id AS TEXT) AS id, flag, at, doc, n, x, s FROM typed ORDER BY id'),
      await store.query('SELECT origin, position, key, reason, payload, at FROM sluice_dead_letters ORDER BY id'),
      await store.query('SELECT stream, position FROM sluice_checkpoints ORDER BY stream'),
    ];
    return { outcomes, tables };
  } finally {
    await store.close();
  }
}

/** A store whose every write is prepared first, as a pipeline does it. */
function preparingStore(store: Store): Store {
  return {
    ...store,
    write(batch) {
      store.prepare?.(batch);
      return store.write(batch);
    },
  };
}

describe('SQLite store: prepare', () => {
  it('gives the same results, errors and rows as write alone, batch by batch', async () => {
    const alone = await writeAll(false);
    const prepared = await writeAll(true);
    prepared.outcomes.forEach((got, i) => expect(got, batches[i]![0]).toEqual(alone.outcomes[i]));
    expect(prepared.tables).toEqual(alone.tables);
    expect(alone.outcomes.filter((o) => 'error' in o)).toHaveLength(10);
  });

  it('never throws and touches no connection: not even the file is created', async () => {
    const filename = nextFile();
    const store = createSqliteStore({ filename });
    for (const batch of [undefined, null, 42, {}, { table: 'typed', rows: [{ id: 1 }] }]) {
      expect(() => store.prepare!(batch as never)).not.toThrow();
    }
    expect(existsSync(filename)).toBe(false);
    await store.close();
    expect(() => store.prepare!({ table: 'typed', rows: [] })).not.toThrow();
  });

  it('reuses the prepared work in the next write of the same batch object', async () => {
    const store = createSqliteStore({ filename: ':memory:' });
    await store.migrate([spec]);
    const batch = { table: 'typed', rows: [{ ...base, id: 1, s: 'prepared' }] };
    store.prepare!(batch);
    // The contract forbids changing a batch between prepare and write; doing it shows what is written.
    batch.rows[0]!.s = 'changed';
    await store.write(batch);
    await store.write(batch); // a second write of the same object plans it again
    expect(await store.query('SELECT s FROM typed')).toEqual([{ s: 'changed' }]);
    store.prepare!(batch);
    batch.rows[0]!.s = 'changed again';
    await store.write(batch);
    expect(await store.query('SELECT s FROM typed')).toEqual([{ s: 'changed' }]);
    await store.close();
  });

  it('plans a batch again when its table was migrated after prepare', async () => {
    const store = createSqliteStore({ filename: nextFile() });
    try {
      await store.migrate([spec]);
      await store.write({ table: 'typed', rows: [{ ...base, id: 1 }] });
      const batch: WriteBatch = { table: 'typed', rows: [{ ...base, id: 1, at: 2 }] };
      store.prepare!(batch); // planned as an upsert (merge, the table's mode)
      await store.migrate([{ ...spec, mode: 'append' }]);
      await expect(store.write(batch)).rejects.toThrow(/SQLITE_CONSTRAINT/);
    } finally {
      await store.close();
    }
  });

  it('leaves a table only another store migrated to write, which reads its spec', async () => {
    const filename = nextFile();
    const first = createSqliteStore({ filename });
    await first.migrate([spec]);
    await first.close();
    const second = createSqliteStore({ filename });
    try {
      const batch: WriteBatch = { table: 'typed', rows: [{ ...base, id: 1 }] };
      second.prepare!(batch);
      expect(await second.write(batch)).toEqual({ written: 1, deadLetters: 0 });
    } finally {
      await second.close();
    }
  });
});

describe('SQLite store: store contract with every write prepared first', () => {
  storeContract(it, {
    create: async () => preparingStore(createSqliteStore({ filename: nextFile() })),
    param: () => '?',
  });
});
