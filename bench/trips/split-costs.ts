/**
 * `pnpm bench:trips-split-costs [--db URL] [--cells N]`: the measurements behind the split costs of
 * examples/trips/src/split-cost.ts. On a trips database with stored cells at resolution 10 (e.g. one
 * a `pnpm bench:trips --keep --area-resolution 10` run left), for up to N occupied boundary cells of
 * each of three boxes (a district, a city, a country): the server's execution time of reading the
 * cell whole against splitting it (the parts' geometry in JavaScript, the rollup rows of the parts
 * inside, the lookup of the edge parts, their rows), and the model's estimates of both. One JSON line
 * per cell, then a summary: how often the estimate picks the faster way, and what its mistakes cost.
 */
import { parseArgs } from 'node:util';
// @ts-expect-error pg ships no types here (bench has no @types/pg); used untyped.
import pg from 'pg';
import { coverBox, descendantRange } from '../../examples/trips/src/cover.js';
import { areaLevelsOf, rollupRanges } from '../../examples/trips/src/area-levels.js';
import { cellParts } from '../../examples/trips/src/queries.js';
import { DEFAULT_SETTINGS } from '../../examples/trips/src/trip.js';
import { monthsOfWeeks, readCost, splitCost } from '../../examples/trips/src/split-cost.js';
import { BENCH_BOXES } from './boxes.js';

const { values } = parseArgs({
  options: {
    db: { type: 'string', default: 'postgres://postgres@127.0.0.1:25500/bench_trips_100000000' },
    cells: { type: 'string', default: '40' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  console.log(`pnpm bench:trips-split-costs [--db URL] [--cells N]

Per boundary cell of three boxes (up to N cells each, default 40): PostgreSQL's execution time of reading the
cell whole against splitting it into its resolution-10 parts, and split-cost.ts's estimates of both. Needs a
trips database with --area-resolution 10 (default URL: the 100M database of a --keep --tuned-server run;
start that server first). Prints one JSON line per cell and a summary.`);
  process.exit(0);
}
const url = values.db;
const R = 10;
/** The settings the database was built with (`--area-resolution 10`, the rest default). */
const settings = { ...DEFAULT_SETTINGS, areaResolution: R };
const c = new pg.Client({ connectionString: url });
await c.connect();
await c.query('SET max_parallel_workers_per_gather = 0; SET jit = off');
const exec = async (sql: string, params: unknown[]) => {
  let best = Infinity;
  for (let i = 0; i < 3; i++) {
    const r = await c.query(`EXPLAIN (ANALYZE, TIMING OFF, SUMMARY, FORMAT JSON) ${sql}`, params);
    best = Math.min(best, r.rows[0]['QUERY PLAN'][0]['Execution Time']);
  }
  return best;
};
// The span of the whole data set, as a question without --from/--to has it.
const { first, last } = (await c.query('SELECT min(week) AS first, max(week) AS last FROM region_weeks')).rows[0] as { first: number; last: number };
const span = { weeks: (last - first) / 7 + 1, months: monthsOfWeeks(first, last) };
const summary = { cells: 0, rightChoice: 0, lostMs: 0, oracleMs: 0, chosenMs: 0 };
for (const [name, box] of Object.entries(BENCH_BOXES)) {
  const inBox = `origin_lon BETWEEN ${box.minLon} AND ${box.maxLon} AND origin_lat BETWEEN ${box.minLat} AND ${box.maxLat}`;
  const cover = coverBox(box, R, settings.resolution);
  const cells = (await c.query('SELECT cell::text AS cell, sum(trips)::int AS n FROM area_weeks WHERE side = 0 AND cell = ANY($1::bigint[]) GROUP BY cell HAVING sum(trips) >= 400', [cover.boundary])).rows as { cell: string; n: number }[];
  const step = Math.max(1, Math.floor(cells.length / Number(values.cells)));
  for (let k = 0; k < cells.length; k += step) {
    const cell = cells[k]!;
    const hex = BigInt(cell.cell).toString(16);
    const [lo, hi] = descendantRange(hex, R);
    const tRead = await exec(`SELECT t.week, count(*) FROM (SELECT $1::bigint AS lo, $2::bigint AS hi) r CROSS JOIN LATERAL (SELECT week FROM trips WHERE origin_cell BETWEEN r.lo AND r.hi AND ${inBox} OFFSET 0) t GROUP BY t.week`, [lo.toString(), hi.toString()]);
    const g0 = performance.now();
    const parts = coverBox(box, R, R, [hex]);
    const ranges = rollupRanges(parts.insideCells, areaLevelsOf(settings));
    const geo = performance.now() - g0;
    const tRoll = ranges.length ? await exec(`SELECT a.week, sum(a.trips) FROM unnest($1::bigint[], $2::bigint[]) AS r(lo, hi) CROSS JOIN LATERAL (SELECT week, trips FROM area_weeks WHERE side = 0 AND cell BETWEEN r.lo AND r.hi OFFSET 0) a GROUP BY a.week`, [ranges.map((r) => r[0]), ranges.map((r) => r[1])]) : 0;
    const tLook = parts.boundary.length ? await exec('SELECT cell, sum(trips) FROM area_weeks WHERE side = 0 AND cell = ANY($1::bigint[]) GROUP BY cell', [parts.boundary]) : 0;
    const occ = parts.boundary.length ? ((await c.query('SELECT cell::text AS cell FROM area_weeks WHERE side = 0 AND cell = ANY($1::bigint[]) GROUP BY cell', [parts.boundary])).rows as { cell: string }[]).map((r) => r.cell) : [];
    const tEdge = occ.length ? await exec(`SELECT week, count(*) FROM trips WHERE origin_cell = ANY($1::bigint[]) AND ${inBox} GROUP BY week`, [occ]) : 0;
    const shape = cellParts(parts, settings);
    const tSplit = geo + tRoll + tLook + tEdge;
    const chooseSplit = splitCost(cell.n, shape, span) < readCost(cell.n, span);
    const chosen = chooseSplit ? tSplit : tRead;
    summary.cells++;
    if (chosen <= Math.min(tRead, tSplit)) summary.rightChoice++;
    summary.chosenMs += chosen;
    summary.oracleMs += Math.min(tRead, tSplit);
    console.log(JSON.stringify({ box: name, n: cell.n, tRead: +tRead.toFixed(3), tSplit: +tSplit.toFixed(3), geo: +geo.toFixed(3), tRoll: +tRoll.toFixed(3), tLook: +tLook.toFixed(3), tEdge: +tEdge.toFixed(3), ...shape, occ: occ.length, estRead: Math.round(readCost(cell.n, span)), estSplit: Math.round(splitCost(cell.n, shape, span)) }));
  }
}
await c.end();
summary.lostMs = summary.chosenMs - summary.oracleMs;
console.log(JSON.stringify({ summary: { ...summary, chosenMs: +summary.chosenMs.toFixed(1), oracleMs: +summary.oracleMs.toFixed(1), lostMs: +summary.lostMs.toFixed(1) } }));
