/**
 * Ceiling `redis-copy-minimal` (and, with `write: row`, the peer baseline `row-insert-baseline`),
 * one process per role. `produce` XADDs the file's raw lines to a stream, 1,000 pipelined XADDs
 * per batch. `consume` reads 1,000 entries at a time with XREADGROUP (the next read overlapping
 * the write), writes them with COPY + upsert in one transaction (or one INSERT per row), then
 * XACKs them, until it has written every row.
 */
import { createClient } from 'redis';
import { need } from '../lib/config.js';
import { lineBatches } from '../lib/lines.js';
import { MinimalPgWriter } from '../lib/pg-minimal.js';
import { runWorker } from '../lib/worker.js';

type Entry = [id: string, fields: string[]];

await runWorker('redis-minimal', async (config) => {
  const key = need(config, 'topic', 'redis-minimal');
  const client = createClient({ url: config.redisUrl });
  await client.connect();
  if (need(config, 'role', 'redis-minimal') === 'produce') {
    return {
      work: async () => {
        let rows = 0;
        for await (const lines of lineBatches(config.file, { batchSize: config.batchSize, limit: config.rows })) {
          await Promise.all(lines.map((line) => client.sendCommand(['XADD', key, '*', 'l', line])));
          rows += lines.length;
        }
        return { rows };
      },
      close: () => client.close(),
    };
  }
  const group = need(config, 'group', 'redis-minimal');
  const write = config.write ?? 'copy';
  const reader = client.duplicate();
  await reader.connect();
  const writer = await MinimalPgWriter.connect(config.pgUrl, config.schema, config.table);
  const read = async (): Promise<Entry[]> => {
    const reply = (await reader.sendCommand(['XREADGROUP', 'GROUP', group, 'c1', 'COUNT', String(config.batchSize), 'BLOCK', '1000', 'STREAMS', key, '>'])) as
      | [string, Entry[]][]
      | null;
    return reply?.[0]?.[1] ?? [];
  };
  return {
    work: async (clock) => {
      let rows = 0;
      let next = read();
      while (rows < config.rows) {
        const entries = await next;
        if (rows + entries.length < config.rows) next = read();
        if (entries.length === 0) continue;
        const lines = entries.map(([, fields]) => fields[1]!);
        if (write === 'row') await writer.insertEach(lines);
        else await writer.write(lines, 'merge');
        await client.sendCommand(['XACK', key, group, ...entries.map(([id]) => id)]);
        rows += entries.length;
      }
      clock.end();
      return { rows };
    },
    close: async () => {
      await writer.close();
      await Promise.all([client.close(), reader.close()]);
    },
  };
});
