/** The SQLite store's settings for large tables: page cache, WAL checkpoints, WITHOUT ROWID key tables. */
import { describe, expect, it } from 'vitest';
import { ConfigError } from '@sluice/core';
import { randomName } from '@sluice/core/testkit';
import { createSqliteStore } from '../src/index.js';
import { tempDatabases } from './temp-dir.js';

const nextFile = tempDatabases('tuning');

describe('SQLite store: settings for large tables', () => {
  it('sets the page cache and the WAL checkpoint size, defaults or given', async () => {
    for (const [options, cache, pages] of [
      [{}, -64 * 1024, 10_000],
      [{ cacheMiB: 8, walCheckpointPages: 500 }, -8 * 1024, 500],
    ] as const) {
      const store = createSqliteStore({ filename: nextFile(), ...options });
      try {
        expect(await store.query('PRAGMA cache_size')).toEqual([{ cache_size: cache }]);
        expect(await store.query('PRAGMA wal_autocheckpoint')).toEqual([{ wal_autocheckpoint: pages }]);
      } finally {
        await store.close();
      }
    }
  });

  it('refuses bad settings with a ConfigError naming them', () => {
    for (const [option, value] of [['cacheMiB', 0], ['cacheMiB', 1.5], ['walCheckpointPages', -1], ['walCheckpointPages', Number.NaN]] as const) {
      expect(() => createSqliteStore({ filename: nextFile(), [option]: value })).toThrow(ConfigError);
      expect(() => createSqliteStore({ filename: nextFile(), [option]: value })).toThrow(option);
    }
  });

  it('keeps tables of scalar columns WITHOUT ROWID, tables with json columns with a rowid, and upserts into both', async () => {
    const store = createSqliteStore({ filename: nextFile() });
    try {
      const scalar = randomName('t');
      const documents = randomName('t');
      await store.migrate([
        { name: scalar, columns: [{ name: 'parameter', type: 'text' }, { name: 'time', type: 'bigint' }, { name: 'val', type: 'real' }], key: ['parameter', 'time'] },
        { name: documents, columns: [{ name: 'id', type: 'text' }, { name: 'doc', type: 'json' }], key: ['id'] },
      ]);
      const ddl = async (name: string) => (await store.query<{ sql: string }>('SELECT sql FROM sqlite_schema WHERE name = ?', [name]))[0]!.sql;
      expect(await ddl(scalar)).toMatch(/WITHOUT ROWID$/);
      expect(await ddl(documents)).not.toMatch(/WITHOUT ROWID/);
      const rows = [{ parameter: '"b"', time: 2, val: 0.1 }, { parameter: '"a"', time: 1, val: 0.2 }];
      await store.write({ table: scalar, rows });
      await store.write({ table: scalar, rows: [{ parameter: '"a"', time: 1, val: 0.3 }] });
      expect(await store.query(`SELECT parameter, time, val FROM ${scalar}`)).toEqual([
        { parameter: '"a"', time: 1, val: 0.3 },
        { parameter: '"b"', time: 2, val: 0.1 },
      ]);
      await store.write({ table: documents, rows: [{ id: 'x', doc: { a: [1] } }] });
      expect(await store.query(`SELECT id, doc FROM ${documents}`)).toEqual([{ id: 'x', doc: '{"a":[1]}' }]);
    } finally {
      await store.close();
    }
  });
});
