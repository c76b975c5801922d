/**
 * Ceiling `sqlite-multirow-minimal`: node `sqlite3` on a WAL file (synchronous NORMAL, as the Sluice
 * store), `batchSize` lines per transaction, written with cached multi-row upsert statements of up
 * to 512 rows. Lines are split on commas and converted as the Sluice store converts them
 * (coordinates to numbers, the datetime to epoch milliseconds).
 */
import sqlite3 from 'sqlite3';
import { need } from '../lib/config.js';
import { lineBatches } from '../lib/lines.js';
import { TRIP_COLUMNS, TRIP_KEY } from '../lib/trips.js';
import { runWorker } from '../lib/worker.js';

const ROWS_PER_STATEMENT = 512;

function promised<T>(fn: (done: (error: Error | null, value?: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => fn((error, value) => (error ? reject(error) : resolve(value as T))));
}

await runWorker('sqlite-multirow-minimal', async (config) => {
  const db = new sqlite3.Database(need(config, 'sqliteFile', 'sqlite-minimal'));
  const exec = (sql: string) => promised<void>((done) => db.exec(sql, (error) => done(error)));
  await exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;');
  const statements = new Map<number, sqlite3.Statement>();
  const statement = (rows: number): sqlite3.Statement => {
    let prepared = statements.get(rows);
    if (!prepared) {
      const tuple = `(${TRIP_COLUMNS.map(() => '?').join(',')})`;
      const updates = TRIP_COLUMNS.filter((c) => !(TRIP_KEY as readonly string[]).includes(c)).map((c) => `${c} = excluded.${c}`);
      prepared = db.prepare(
        `INSERT INTO ${config.table} (${TRIP_COLUMNS.join(',')}) VALUES ${Array(rows).fill(tuple).join(',')} ` +
          `ON CONFLICT (${TRIP_KEY.join(',')}) DO UPDATE SET ${updates.join(', ')}`,
      );
      statements.set(rows, prepared);
    }
    return prepared;
  };
  const run = (rows: number, params: unknown[]) => promised<void>((done) => statement(rows).run(params, (error) => done(error)));
  return {
    work: async () => {
      let rows = 0;
      for await (const lines of lineBatches(config.file, { batchSize: config.batchSize, limit: config.rows })) {
        await exec('BEGIN IMMEDIATE');
        for (let start = 0; start < lines.length; start += ROWS_PER_STATEMENT) {
          const chunk = lines.slice(start, start + ROWS_PER_STATEMENT);
          const params: unknown[] = [];
          for (const line of chunk) {
            const [region, oLon, oLat, dLon, dLat, datetime, source] = line.split(',');
            params.push(region, Number(oLon), Number(oLat), Number(dLon), Number(dLat), Date.parse(datetime!), source);
          }
          await run(chunk.length, params);
        }
        await exec('COMMIT');
        rows += lines.length;
      }
      return { rows };
    },
    close: async () => {
      for (const prepared of statements.values()) await promised<void>((done) => prepared.finalize((error) => done(error ?? null)));
      await promised<void>((done) => db.close((error) => done(error)));
    },
  };
});
