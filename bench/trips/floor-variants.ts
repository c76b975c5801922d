/**
 * `pnpm bench:trips-floor [--db URL] [--models a,b,…] [--rows N] [--batch N]`: the model's floor (model-floor.ts)
 * for chosen models, the variants of the whole model among them, on the trips of an existing
 * database (e.g. one a `pnpm bench:trips --keep --tuned-server` run left; start its server first).
 * Each model is measured in a scratch database on the same server, made and dropped here.
 */
import { parseArgs } from 'node:util';
import { queryOnce } from '../lib/pg-once.js';
import { FLOOR_MODELS, modelFloor, type FloorModel } from './model-floor.js';

const { values } = parseArgs({
  options: {
    db: { type: 'string', default: 'postgres://postgres@127.0.0.1:25500/bench_trips_1000000' },
    models: { type: 'string', default: 'model,merged-key,fillfactor,delta-rollups,key' },
    rows: { type: 'string' },
    batch: { type: 'string', default: '10000' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  console.log(`pnpm bench:trips-floor [--db URL] [--models a,b,…] [--rows N] [--batch N]

PostgreSQL's own CPU per trip for each model (models: ${FLOOR_MODELS.join(', ')}; see
bench/trips/model-floor.ts), moving the trips of the database at --db (default: the 1M database of a
--keep --tuned-server bench:trips run), or the first N of them in random order, --batch (default
10000) a transaction into a scratch database on the same server; the bulk model
builds a month a transaction instead. Prints one JSON line per model.`);
  process.exit(0);
}
const models = values.models.split(',').map((m) => m.trim());
const unknown = models.filter((m) => !(FLOOR_MODELS as readonly string[]).includes(m));
if (unknown.length > 0) {
  console.error(`unknown model ${unknown.join(', ')}: use some of ${FLOOR_MODELS.join(', ')}`);
  process.exit(2);
}
const rows = values.rows === undefined ? undefined : Number(values.rows);
if (rows !== undefined && !(Number.isInteger(rows) && rows > 0)) {
  console.error(`--rows ${values.rows}: give a positive whole number`);
  process.exit(2);
}
const batch = Number(values.batch);
if (!(Number.isInteger(batch) && batch > 0)) {
  console.error(`--batch ${values.batch}: give a positive whole number`);
  process.exit(2);
}
const source = values.db;
const floorDb = 'bench_trips_floor_variants';
const floorUrl = source.replace(/\/[^/]*$/, `/${floorDb}`);
const adminUrl = source.replace(/\/[^/]*$/, '/postgres');
const admin = async (sql: string) => void (await queryOnce(adminUrl, sql));
for (const part of await modelFloor(source, floorUrl, admin, floorDb, models as FloorModel[], rows, batch)) console.log(JSON.stringify(part));
