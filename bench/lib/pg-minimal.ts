/**
 * The hand-written PostgreSQL side of the ceilings: raw CSV lines straight into COPY (no parsing
 * in JavaScript), into the table (append) or into a session staging table then one
 * `INSERT … ON CONFLICT` (merge), one transaction per batch. Also the one-row-per-statement
 * INSERT of the peer baseline.
 */
import { createRequire } from 'node:module';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { TRIP_COLUMNS, TRIP_KEY } from './trips.js';

/** The little of node-postgres used here (its types are a dev dependency of store-pg only). */
interface PgClient {
  connect(): Promise<void>;
  query(text: string, values?: readonly unknown[]): Promise<unknown>;
  query<S extends Writable>(stream: S): S;
  end(): Promise<void>;
}
const require = createRequire(import.meta.url);
const pg = require('pg') as { Client: new (config: { connectionString: string; application_name: string }) => PgClient };
const { from: copyFrom } = require('pg-copy-streams') as { from(sql: string): Writable };

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;
const COLUMNS = TRIP_COLUMNS.map(quote).join(', ');
const KEY = TRIP_KEY.map(quote).join(', ');
const UPDATES = TRIP_COLUMNS.filter((c) => !(TRIP_KEY as readonly string[]).includes(c))
  .map((c) => `${quote(c)} = EXCLUDED.${quote(c)}`)
  .join(', ');

/** A connection that writes batches of raw trip lines into `schema.table`. */
export class MinimalPgWriter {
  private readonly target: string;
  private staging = false;

  private constructor(
    private readonly client: PgClient,
    schema: string,
    table: string,
  ) {
    this.target = `${quote(schema)}.${quote(table)}`;
  }

  /** Connects to `url`. */
  static async connect(url: string, schema: string, table: string): Promise<MinimalPgWriter> {
    const client = new pg.Client({ connectionString: url, application_name: 'sluice-bench-minimal' });
    await client.connect();
    return new MinimalPgWriter(client, schema, table);
  }

  /** COPYs `lines` (CSV, no header) in one transaction: straight into the table, or merged via staging. */
  async write(lines: readonly string[], mode: 'append' | 'merge'): Promise<void> {
    if (mode === 'merge' && !this.staging) {
      await this.client.query(`CREATE TEMP TABLE bench_stage (LIKE ${this.target}) ON COMMIT DELETE ROWS`);
      this.staging = true;
    }
    await this.client.query('BEGIN');
    try {
      await this.copy(mode === 'merge' ? 'bench_stage' : this.target, lines);
      if (mode === 'merge') {
        await this.client.query(
          `INSERT INTO ${this.target} (${COLUMNS}) SELECT ${COLUMNS} FROM bench_stage ON CONFLICT (${KEY}) DO UPDATE SET ${UPDATES}`,
        );
      }
      await this.client.query('COMMIT');
    } catch (error) {
      await this.client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }

  /** One autocommitted `INSERT … ON CONFLICT` per line: what most ad-hoc consumers do. */
  async insertEach(lines: readonly string[]): Promise<void> {
    const sql =
      `INSERT INTO ${this.target} (${COLUMNS}) VALUES (${TRIP_COLUMNS.map((_, i) => `$${i + 1}`).join(', ')}) ` +
      `ON CONFLICT (${KEY}) DO UPDATE SET ${UPDATES}`;
    for (const line of lines) await this.client.query(sql, line.split(','));
  }

  private async copy(target: string, lines: readonly string[]): Promise<void> {
    const stream = this.client.query(copyFrom(`COPY ${target} (${COLUMNS}) FROM STDIN (FORMAT csv)`));
    stream.end(`${lines.join('\n')}\n`);
    await finished(stream);
  }

  /** Closes the connection. */
  close(): Promise<void> {
    return this.client.end();
  }
}
