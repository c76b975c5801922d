/**
 * Bulk ingestion on PostgreSQL (`pnpm trips ingest --bulk`): the rows of all files are first staged
 * by COPY into unlogged month partitions of the run's own staging partition (no index, no
 * trigger, no WAL), then each month is moved into `trips` in one transaction:
 *
 * - a month with no partition yet is **built**: its distinct trips inserted in key order into a
 *   new table, the key and the two area indexes made by sorting, the rollups counted from it (the
 *   trigger's counts, with the cheaper statements a month without trips allows:
 *   `pgBuildRollupStatements`), and the table attached as the month's partition;
 * - a month that has a partition is **merged**: its distinct trips inserted with `ON CONFLICT DO
 *   NOTHING`, so the rollup trigger counts only the trips that were really new.
 *
 * Either way the rows and their rollups commit together, and the month's staged rows are dropped
 * in the same transaction. Two months move at once (ingest.ts), never two neighbours while others
 * are left ({@link nextMonth}); their rollup upserts take rows in the same order (statement by
 * statement, in key order), so they wait for each other, never deadlock. Building a month by
 * sorting costs PostgreSQL about a third of what merging the same trips batch by batch costs
 * (BENCHMARKS.md, fourteenth round).
 *
 * A crash loses only staged rows (unlogged) and months not built yet: a run again reads the files
 * from the start, and finds the trips of months already built as duplicates. Staged rows of a run
 * that died are dropped by the next bulk run once that run has not been seen for
 * {@link STALE_AFTER_MINUTES} minutes.
 */
import type { Store } from '@sluice/core';
import { AREA_INDEXES, T, monthLockSql, monthPartition, pgBuildRollupStatements, stagedParent, tableSpecs } from './model.js';
import type { TripSettings } from './trip.js';

/** A run not seen working for this long left its staged rows behind; the next bulk run drops them. */
export const STALE_AFTER_MINUTES = 60;

const COLUMNS = tableSpecs[0]!.columns.map((c) => c.name).join(', ');

/** Starts a run: drops what stale runs staged, records this one, and creates its staging partition. */
export function beginStagingSql(ingestion: number): string {
  return `DO $do$ DECLARE stale bigint; BEGIN
  FOR stale IN SELECT r.ingestion FROM ${T.stagingRuns} r WHERE r.seen_at < now() - interval '${STALE_AFTER_MINUTES} minutes' LOOP
    EXECUTE format('DROP TABLE IF EXISTS %I', '${T.staged}_' || stale);
    DELETE FROM ${T.stagingRuns} r WHERE r.ingestion = stale;
  END LOOP;
  INSERT INTO ${T.stagingRuns} (ingestion, seen_at) VALUES (${ingestion}, now()) ON CONFLICT (ingestion) DO UPDATE SET seen_at = now();
  CREATE TABLE IF NOT EXISTS ${stagedParent(ingestion)} PARTITION OF ${T.staged} FOR VALUES IN (${ingestion}) PARTITION BY RANGE (started_at);
END $do$`;
}

/** Says that the run is still working (see {@link STALE_AFTER_MINUTES}). */
export function heartbeatSql(ingestion: number): string {
  return `UPDATE ${T.stagingRuns} SET seen_at = now() WHERE ingestion = ${ingestion}`;
}

/** Ends a run, whether it finished or not: drops whatever it still has staged. */
export function endStagingSql(ingestion: number): string {
  return `DO $do$ BEGIN
  DROP TABLE IF EXISTS ${stagedParent(ingestion)};
  DELETE FROM ${T.stagingRuns} WHERE ingestion = ${ingestion};
END $do$`;
}

/** The months a run has staged rows in, oldest first (epoch ms of each month's first instant, UTC). */
export async function stagedMonths(store: Store, ingestion: number): Promise<number[]> {
  const rows = await store.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = to_regclass('${stagedParent(ingestion)}')`,
  );
  return rows
    .map(({ name }) => /_p(\d{4})_(\d{2})$/.exec(name))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Date.UTC(Number(m[1]), Number(m[2]) - 1, 1))
    .sort((a, b) => a - b);
}

/** Rows a run has staged in a month (before it is moved). */
export async function stagedRows(store: Store, ingestion: number, month: number): Promise<number> {
  const rows = await store.query<{ n: string | number }>(`SELECT count(*) AS n FROM ${monthPartition(month, stagedParent(ingestion)).name}`);
  return Number(rows[0]?.n ?? 0);
}

/** Moves a run's staged month into `trips` (built or merged, see the header) in one transaction. */
export function moveMonthSql(ingestion: number, month: number, settings: TripSettings): string {
  const part = monthPartition(month);
  const staged = monthPartition(month, stagedParent(ingestion)).name;
  const distinct = `SELECT DISTINCT ON (started_at, trip_id) ${COLUMNS} FROM ${staged} ORDER BY started_at, trip_id`;
  const range = `FROM ('${part.from}') TO ('${part.to}')`;
  return `DO $do$ BEGIN
  ${monthLockSql(part.name)};
  PERFORM set_config('work_mem', '256MB', true);
  IF to_regclass('${part.name}') IS NULL THEN
    CREATE TABLE ${part.name} (LIKE ${T.trips});
    INSERT INTO ${part.name} (${COLUMNS}) ${distinct};
    ALTER TABLE ${part.name} ADD PRIMARY KEY (started_at, trip_id);
    CREATE INDEX ON ${part.name} ${AREA_INDEXES.origin};
    CREATE INDEX ON ${part.name} ${AREA_INDEXES.destination};
    ${pgBuildRollupStatements(settings, part.name, part).join(';\n    ')};
    -- Attached last: the attach locks trips against another attach until this commits, so the
    -- other month moving at once builds and counts meanwhile. The constraint spares the attach a
    -- scan of the rows; it has no use after.
    ALTER TABLE ${part.name} ADD CONSTRAINT ${part.name}_range CHECK (started_at >= '${part.from}' AND started_at < '${part.to}');
    ALTER TABLE ${T.trips} ATTACH PARTITION ${part.name} FOR VALUES ${range};
    ALTER TABLE ${part.name} DROP CONSTRAINT ${part.name}_range;
  ELSE
    INSERT INTO ${T.trips} (${COLUMNS}) ${distinct} ON CONFLICT (started_at, trip_id) DO NOTHING;
  END IF;
  DROP TABLE ${staged};
  ${heartbeatSql(ingestion)};
END $do$`;
}

/** The calendar index of a month (UTC): months a week can span are one apart. */
const monthIndex = (ms: number) => new Date(ms).getUTCFullYear() * 12 + new Date(ms).getUTCMonth();

/**
 * Which of the months still to move (oldest first) to move next while `moving` are: the first that
 * is not next to one of them. Two neighbouring months share a week, so their rollup upserts meet on
 * that week's rows from the first statement on, and the second waits for the first's commit; months
 * apart meet only on rows every month updates (the groups, the datasource and ingestion counts).
 * When every month left is a neighbour, the oldest. Pure; `undefined` when none is left.
 */
export function nextMonth(left: readonly number[], moving: Iterable<number>): number | undefined {
  const busy = [...moving].map(monthIndex);
  return left.find((month) => !busy.some((other) => Math.abs(monthIndex(month) - other) === 1)) ?? left[0];
}

