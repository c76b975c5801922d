/** What only the SQLite store's `stream` does: a temporary table per run, dropped when the run ends. */
import { describe, expect, it } from 'vitest';
import { quoteIdentifier, type Store } from '@sluice/core';
import { randomName } from '@sluice/core/testkit';
import { createSqliteStore } from '../src/index.js';
import { tempDatabases } from './temp-dir.js';

const nextFile = tempDatabases('stream');

async function temporaryTables(store: Store): Promise<number> {
  const [row] = await store.query<{ n: number }>("SELECT COUNT(*) AS n FROM sqlite_temp_schema WHERE type = 'table'");
  return row!.n;
}

describe('SQLite store: stream', () => {
  it('drops its temporary table when the rows end, on break, and on a failed query', async () => {
    for (const filename of [nextFile(), ':memory:']) {
      const store = createSqliteStore({ filename });
      try {
        const name = randomName('t');
        await store.migrate([{ name, columns: [{ name: 'id', type: 'integer' }], key: ['id'] }]);
        await store.write({ table: name, rows: Array.from({ length: 100 }, (_, id) => ({ id })) });
        const sql = `SELECT id FROM ${quoteIdentifier(name)} ORDER BY id`;
        let rows = 0;
        for await (const chunk of store.stream(sql, [], { chunkSize: 30 })) rows += chunk.length;
        expect(rows).toBe(100);
        expect(await temporaryTables(store)).toBe(0);
        const iterator = store.stream(sql, [], { chunkSize: 30 })[Symbol.asyncIterator]();
        await iterator.next();
        expect(await temporaryTables(store)).toBe(1); // held while the stream is open
        await iterator.return?.();
        expect(await temporaryTables(store)).toBe(0);
        await expect(store.stream('SELECT nope FROM nowhere')[Symbol.asyncIterator]().next()).rejects.toThrow(/nowhere/);
        expect(await temporaryTables(store)).toBe(0);
      } finally {
        await store.close();
      }
    }
  });

  it('keeps values and their types, and only runs the first statement of the text', async () => {
    const store = createSqliteStore({ filename: nextFile() });
    try {
      const name = randomName('t');
      await store.migrate([{ name, columns: [{ name: 'id', type: 'integer' }], key: ['id'] }]);
      const [chunk] = await fromStream(store.stream(`SELECT 1 AS i, 2.5 AS r, 'x' AS s, NULL AS z; DROP TABLE ${quoteIdentifier(name)}`));
      expect(chunk).toEqual([{ i: 1, r: 2.5, s: 'x', z: null }]);
      expect(await store.query(`SELECT COUNT(*) AS n FROM ${quoteIdentifier(name)}`)).toEqual([{ n: 0 }]);
      // A result column named like the rowid does not hide the order.
      const rows = (await fromStream(store.stream('SELECT 7 AS rowid, 8 AS oid UNION ALL SELECT 9, 10', [], { chunkSize: 1 }))).flat();
      expect(rows).toEqual([{ rowid: 7, oid: 8 }, { rowid: 9, oid: 10 }]);
    } finally {
      await store.close();
    }
  });
});

async function fromStream<R>(stream: AsyncIterable<R[]>): Promise<R[][]> {
  const chunks: R[][] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}
