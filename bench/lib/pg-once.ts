/** One statement on its own connection (a database made or dropped between runs, say). */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const pg = require('pg') as { Client: new (config: { connectionString: string }) => { connect(): Promise<void>; query(sql: string): Promise<unknown>; end(): Promise<void> } };

/** Runs `sql` on a fresh connection to `url`, and closes it. */
export async function queryOnce(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
