/**
 * The report in bounded memory: on a store of 3 million metric samples, `pnpm full-pipeline report`'s
 * ETL runs in a child process whose heap is capped at 64 MB (holding every row, as the report once
 * did, needs well over a gigabyte and dies there); and on the same data the streamed analysis gives
 * exactly what `rankCorrelations` gives on the rows in memory.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { generateMachineData, quoteIdentifier, rankCorrelations, type Store } from '@sluice/core';
import { createSqliteStore } from '@sluice/store-sqlite';
import { describe, expect, it } from 'vitest';
import { analyseStore } from '../src/report.js';
import { kinds, machineTables, namesFor } from '../src/tables.js';
import { exampleDir } from './support/cli.js';
import { useTempDir } from './support/data.js';

const PARAMETERS = 40;
const SAMPLES = 3_000_000;
const HEAP_LIMIT_MB = 64;
const MINUTE = 60_000;
const START = Date.UTC(2025, 0, 1);

/**
 * Fills the metrics and work-order tables inside SQLite (a recursive CTE: seconds, not minutes):
 * 40 parameters sampled each minute, 4 of them counters; 2 products read every 15 minutes.
 */
async function fillStore(store: Store): Promise<void> {
  const names = namesFor('');
  await store.migrate(machineTables(names));
  const minutes = SAMPLES / PARAMETERS;
  await store.query(
    `INSERT INTO ${quoteIdentifier(names.metricsTable)} (parameter, time, val)
     WITH RECURSIVE n(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM n WHERE x < ${SAMPLES - 1})
     SELECT CAST(x % ${PARAMETERS} AS TEXT), ${START} + (x / ${PARAMETERS}) * ${MINUTE},
            CASE WHEN x % ${PARAMETERS} < 4 THEN (x / ${PARAMETERS}) * (1.5 + x % ${PARAMETERS}) ELSE ((x * 2654435761) % 1000) / 10.0 END
     FROM n`,
  );
  await store.query(
    `INSERT INTO ${quoteIdentifier(names.workordersTable)} (product, time, production)
     WITH RECURSIVE n(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM n WHERE x < ${(2 * minutes) / 15 - 1})
     SELECT json_quote('p' || (x % 2)), ${START} + (x / 2) * 15 * ${MINUTE}, (x / 2) * 100 + ((x * 7919) % 13)
     FROM n`,
  );
}

/** Runs the report in a child with a capped heap; resolves with its exit code, measurements and stderr. */
async function reportInChild(filename: string, outDir: string) {
  const child = spawn(
    `${exampleDir}node_modules/.bin/tsx`,
    ['--conditions=source', 'test/support/report-memory-child.ts', filename, outDir],
    {
      cwd: exampleDir,
      env: { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --max-old-space-size=${HEAP_LIMIT_MB}`.trim() },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const [code] = (await once(child, 'close')) as [number | null];
  const line = stdout.trim().split('\n').pop() ?? '';
  return { code, stderr: stderr.slice(-2000), measured: line.startsWith('{') ? (JSON.parse(line) as Record<string, unknown>) : undefined };
}

describe('the report in bounded memory', () => {
  const tmp = useTempDir('report-memory');

  it(`ranks ${SAMPLES.toLocaleString('en')} stored samples within a ${HEAP_LIMIT_MB} MB heap`, async () => {
    const filename = join(tmp(), 'big.sqlite');
    const store = createSqliteStore({ filename });
    try {
      await fillStore(store);
    } finally {
      await store.close();
    }
    const { code, stderr, measured } = await reportInChild(filename, join(tmp(), 'out'));
    expect(code, `the report failed (exit ${code}); its stderr ends with:\n${stderr}`).toBe(0);
    expect(measured).toMatchObject({
      parameters: PARAMETERS,
      samples: SAMPLES,
      products: [
        { product: 'p0', status: 'ok' },
        { product: 'p1', status: 'ok' },
      ],
    });
    expect(measured!.heapLimitMb as number).toBeLessThanOrEqual(HEAP_LIMIT_MB + 64); // the cap took effect
    console.log(`report on ${SAMPLES} samples: ${JSON.stringify(measured)}`);
  }, 180_000);

  it('gives the same result as rankCorrelations on the same rows in memory', async () => {
    const data = generateMachineData({ seed: 21, parameters: 12, counters: 3, products: 2, productionResets: 1, counterResets: 1 });
    const names = namesFor('');
    const store = createSqliteStore({ filename: join(tmp(), 'same.sqlite') });
    try {
      await store.migrate(machineTables(names));
      const metrics = Array.from({ length: data.metrics.id.length }, (_, i) =>
        kinds.metrics.toRow({ id: data.metrics.id[i]!, time: data.metrics.time[i]!, val: data.metrics.val[i]! }),
      );
      for (let i = 0; i < metrics.length; i += 20_000) await store.write({ table: names.metricsTable, rows: metrics.slice(i, i + 20_000) });
      await store.write({ table: names.workordersTable, rows: data.workorders.map(kinds.workorders.toRow) });
      const streamed = await analyseStore(store, names);
      expect(streamed).toEqual(rankCorrelations(data.metrics, data.workorders));
      expect(streamed.products.every((p) => p.status === 'ok' && p.ranking.length > 0)).toBe(true);
    } finally {
      await store.close();
    }
  });
});
