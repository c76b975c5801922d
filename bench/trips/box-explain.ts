/**
 * `pnpm bench:trips-box-explain [--db URL] [--box district|city|country] [--runs N]`: where one box
 * answer's time goes. Runs `weeklyAverage` for the box N times (the first ones warm the caches),
 * timing each statement it sends; then shows, for each statement of the last run, PostgreSQL's
 * `EXPLAIN (ANALYZE, BUFFERS)`: rows, loops, buffers and execution time of its scans. The time the
 * statements leave over is the answer's JavaScript (the box's cover, the split decisions).
 */
import { parseArgs } from 'node:util';
import type { Row, Store } from '@sluice/core';
import { createPgStore } from '@sluice/store-pg';
import { migrateModel } from '../../examples/trips/src/model.js';
import { TRIPS_PG_SETTINGS } from '../../examples/trips/src/open.js';
import { weeklyAverage } from '../../examples/trips/src/queries.js';
import { BENCH_BOXES } from './boxes.js';

const { values } = parseArgs({
  options: {
    db: { type: 'string', default: 'postgres://postgres@127.0.0.1:25500/bench_trips_100000000' },
    box: { type: 'string', default: 'city' },
    runs: { type: 'string', default: '8' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  console.log(`pnpm bench:trips-box-explain [--db URL] [--box district|city|country] [--runs N]

Times each statement of a box answer (weekly-average of one of the bench's boxes, default city) over N runs
(default 8), then prints EXPLAIN (ANALYZE, BUFFERS) of each statement of the last run. Needs a trips database
on PostgreSQL (default URL: the 100M database of a --keep --tuned-server bench:trips run; start that server first).`);
  process.exit(0);
}
const box = BENCH_BOXES[values.box as keyof typeof BENCH_BOXES];
const runs = Number(values.runs);
if (box === undefined || !(Number.isInteger(runs) && runs > 0)) {
  console.error(`--box ${values.box} --runs ${values.runs}: the box is one of ${Object.keys(BENCH_BOXES).join(', ')}, the runs a positive whole number`);
  process.exit(2);
}
const base = createPgStore({ connectionString: values.db, serverSettings: TRIPS_PG_SETTINGS });
try {
  const settings = await migrateModel(base);
  let sent: { sql: string; params?: readonly unknown[]; ms: number }[] = [];
  const store: Store = {
    ...base,
    async query<R extends Row = Row>(sql: string, params?: readonly unknown[]): Promise<R[]> {
      const started = performance.now();
      const rows = await base.query<R>(sql, params);
      sent.push({ sql, ...(params ? { params } : {}), ms: performance.now() - started });
      return rows;
    },
  };
  for (let run = 0; run < runs; run++) {
    sent = [];
    const started = performance.now();
    const answer = await weeklyAverage(store, settings, { bbox: box });
    const total = performance.now() - started;
    const inStatements = sent.reduce((sum, s) => sum + s.ms, 0);
    console.log(`run ${run + 1}: ${total.toFixed(1)} ms, ${answer.trips} trips; ${sent.length} statements ${sent.map((s) => s.ms.toFixed(1)).join(' + ')} ms; the rest ${(total - inStatements).toFixed(1)} ms`);
  }
  for (const statement of sent) {
    const shown = statement.params?.map((p) => (Array.isArray(p) ? `[${p.length} values]` : String(p))).join(', ') ?? '';
    console.log(`\n== ${statement.ms.toFixed(1)} ms: ${statement.sql.slice(0, 200)}${statement.sql.length > 200 ? ' …' : ''} (${shown})`);
    const plan = await base.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS) ${statement.sql}`, statement.params as unknown[] | undefined);
    for (const { 'QUERY PLAN': line } of plan) console.log(line);
  }
} finally {
  await base.close();
}
