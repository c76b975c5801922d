/** A database made by an earlier version: its dead-letter table gains the `encoding` column on open. */
import sqlite3 from 'sqlite3';
import { describe, expect, it } from 'vitest';
import { createSqliteStore } from '../src/index.js';
import { tempDatabases } from './temp-dir.js';

const nextFile = tempDatabases('upgrade');

/** Runs SQL on a file with the bare driver, as the earlier version left it. */
function exec(filename: string, sql: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const db = new sqlite3.Database(filename, (error) => {
      if (error) return reject(error);
      db.exec(sql, (failure) => db.close(() => (failure ? reject(failure) : resolve())));
    });
  });
}

describe('SQLite store: upgrading its own tables', () => {
  it('adds the encoding column to an old dead-letter table and keeps its letters', async () => {
    const filename = nextFile();
    await exec(
      filename,
      `CREATE TABLE sluice_dead_letters (id INTEGER PRIMARY KEY AUTOINCREMENT, origin TEXT NOT NULL, position TEXT, key TEXT,
         reason TEXT NOT NULL, payload TEXT NOT NULL, at INTEGER NOT NULL);
       INSERT INTO sluice_dead_letters (origin, reason, payload, at) VALUES ('old', 'kept', 'x', 1700000000000);`,
    );
    const store = createSqliteStore({ filename });
    try {
      await store.write({ rows: [], deadLetters: [{ origin: 'new', reason: 'bytes', payload: Buffer.from([0xff]).toString('base64'), encoding: 'base64', at: 1_700_000_000_001 }] });
      expect(await store.readDeadLetters()).toEqual([
        { origin: 'old', reason: 'kept', payload: 'x', at: 1_700_000_000_000 },
        { origin: 'new', reason: 'bytes', payload: '/w==', encoding: 'base64', at: 1_700_000_000_001 },
      ]);
    } finally {
      await store.close();
    }
  });
});
