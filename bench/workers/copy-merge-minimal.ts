/**
 * Ceiling `copy-merge-minimal`: the file's raw lines, `batchSize` at a time, COPYed into a session
 * staging table and moved with one `INSERT … ON CONFLICT` per batch, one transaction each.
 */
import { lineBatches } from '../lib/lines.js';
import { MinimalPgWriter } from '../lib/pg-minimal.js';
import { runWorker } from '../lib/worker.js';

await runWorker('copy-merge-minimal', async (config) => {
  const writer = await MinimalPgWriter.connect(config.pgUrl, config.schema, config.table);
  return {
    work: async () => {
      let rows = 0;
      for await (const lines of lineBatches(config.file, { batchSize: config.batchSize, limit: config.rows })) {
        await writer.write(lines, 'merge');
        rows += lines.length;
      }
      return { rows };
    },
    close: () => writer.close(),
  };
});
