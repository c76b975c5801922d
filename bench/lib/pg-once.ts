/** One statement on its own connection (a database made or dropped between runs, say). */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const pg = require('pg') as { Client: new (config: { connectionString: string }) => { connect(): Promise<void>; query(sql: string): Promise<{ rows: Record<string, unknown>[] }>; end(): Promise<void> } };

/** Runs `sql` on a fresh connection to `url`, closes it, and returns the rows. */
export async function queryOnce(url: string, sql: string): Promise<Record<string, unknown>[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}
