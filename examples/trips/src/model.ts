/**
 * The data model: table specs (migrated by the store), and what the store contract has no words
 * for, added with plain SQL after `migrate`: indexes, the rollup triggers (so that rollups change in
 * the same transaction as the rows, by the rows that were really new) and, on PostgreSQL, range
 * partitioning of `trips` by month with partitions created as data arrives.
 */
import { ConfigError, StoreError, type Row, type Store, type TableSpec, type WriteBatch, type WriteResult } from '@sluice/core';
import { areaLevelsOf, cellAtSql, parentSql, resolutionSql } from './area-levels.js';
import { DEFAULT_SETTINGS, type TripSettings } from './trip.js';
import { DAY_MS } from './weeks.js';

/** Table names. */
export const T = {
  trips: 'trips',
  regions: 'regions',
  datasources: 'datasources',
  regionWeeks: 'region_weeks',
  areaWeeks: 'area_weeks',
  groups: 'trip_groups',
  regionDatasources: 'region_datasources',
  ingestions: 'ingestion_counts',
  settings: 'trips_settings',
  /** PostgreSQL, bulk ingestion: rows staged before their months are built (bulk.ts). */
  staged: 'trips_staged',
  /** PostgreSQL, bulk ingestion: the runs with staged rows, and when each was last seen working. */
  stagingRuns: 'trips_staging_runs',
} as const;

const big = (name: string) => ({ name, type: 'bigint' as const });
const int = (name: string) => ({ name, type: 'integer' as const });
const real = (name: string) => ({ name, type: 'real' as const });

/** The specs every store migrates. */
export const tableSpecs: readonly TableSpec[] = [
  {
    name: T.trips,
    key: ['started_at', 'trip_id'],
    columns: [
      { name: 'started_at', type: 'timestamp' },
      big('trip_id'),
      big('region_id'),
      big('datasource_id'),
      real('origin_lon'),
      real('origin_lat'),
      real('destination_lon'),
      real('destination_lat'),
      big('origin_cell'),
      big('destination_cell'),
      int('bucket'),
      int('week'),
      big('ingestion'),
    ],
  },
  { name: T.regions, key: ['id'], columns: [big('id'), { name: 'name', type: 'text' }] },
  { name: T.datasources, key: ['id'], columns: [big('id'), { name: 'name', type: 'text' }] },
  { name: T.regionWeeks, key: ['region_id', 'week'], columns: [big('region_id'), int('week'), big('trips')] },
  { name: T.areaWeeks, key: ['side', 'cell', 'week'], columns: [int('side'), big('cell'), int('week'), big('trips')] },
  {
    name: T.groups,
    key: ['region_id', 'origin_cell', 'destination_cell', 'bucket'],
    columns: [big('region_id'), big('origin_cell'), big('destination_cell'), int('bucket'), big('trips')],
  },
  {
    name: T.regionDatasources,
    key: ['region_id', 'datasource_id'],
    columns: [big('region_id'), big('datasource_id'), big('trips'), { name: 'latest_at', type: 'timestamp' }],
  },
  { name: T.ingestions, key: ['ingestion'], columns: [big('ingestion'), big('new_trips')] },
  { name: T.settings, key: ['name'], columns: [{ name: 'name', type: 'text' }, { name: 'value', type: 'text' }] },
];

/** PostgreSQL: the staging table of bulk ingestions, the trips' columns, written by COPY (append). */
export const stagedSpec: TableSpec = { ...tableSpecs[0]!, name: T.staged, mode: 'append' };

/** The two covering area indexes of `trips` (and of each of its partitions): key columns, then the point. */
export const AREA_INDEXES = {
  origin: '(origin_cell, week) INCLUDE (origin_lon, origin_lat)',
  destination: '(destination_cell, week) INCLUDE (destination_lon, destination_lat)',
} as const;

/**
 * The rollup upserts, one per rollup, as `(source rows) → rollup` SQL over a relation `src` of new
 * trips with a count `n`: first the wide rollups (a row for nearly every trip), then the narrow
 * ones, whose few rows every batch updates. Two transactions writing at once meet on those rows,
 * so they come last: the second waits only for the first's commit, not for all of its work.
 */
function rollupStatements(src: string, counted: boolean, settings: TripSettings): { area: string[]; groups: string; narrow: string[] } {
  const n = counted ? 'count(*)' : '1';
  const group = (cols: string) => (counted ? ` GROUP BY ${cols} ORDER BY ${cols}` : '');
  const from = counted ? ` FROM ${src}` : '';
  const c = (col: string) => (counted ? col : `${src}.${col}`);
  const sel = (cols: string[]) => `SELECT ${cols.map(c).join(', ')}`;
  const where = counted ? '' : ' WHERE true'; // SQLite: an upsert's SELECT needs a WHERE to parse
  // Groups are keyed by cells at the grouping resolution: the stored cells' parents when those are finer.
  const groupCell = (col: string) => cellAtSql(c(col), settings.resolution, settings);
  const groupKey = `SELECT ${c('region_id')}, ${groupCell('origin_cell')}, ${groupCell('destination_cell')}, ${c('bucket')}`;
  const area = [
    `INSERT INTO ${T.areaWeeks} (side, cell, week, trips) SELECT 0, ${c('origin_cell')}, ${c('week')}, ${n}${from}${where}${group('origin_cell, week')} ` +
      `ON CONFLICT (side, cell, week) DO UPDATE SET trips = ${T.areaWeeks}.trips + excluded.trips`,
    `INSERT INTO ${T.areaWeeks} (side, cell, week, trips) SELECT 1, ${c('destination_cell')}, ${c('week')}, ${n}${from}${where}${group('destination_cell, week')} ` +
      `ON CONFLICT (side, cell, week) DO UPDATE SET trips = ${T.areaWeeks}.trips + excluded.trips`,
  ];
  const groups =
    `INSERT INTO ${T.groups} (region_id, origin_cell, destination_cell, bucket, trips) ${groupKey}, ${n}${from}${where}` +
      `${counted ? ' GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4' : ''} ` +
      `ON CONFLICT (region_id, origin_cell, destination_cell, bucket) DO UPDATE SET trips = ${T.groups}.trips + excluded.trips`;
  const narrow = [
    `INSERT INTO ${T.regionWeeks} (region_id, week, trips) ${sel(['region_id', 'week'])}, ${n}${from}${where}${group('region_id, week')} ` +
      `ON CONFLICT (region_id, week) DO UPDATE SET trips = ${T.regionWeeks}.trips + excluded.trips`,
    `INSERT INTO ${T.regionDatasources} (region_id, datasource_id, trips, latest_at) ${sel(['region_id', 'datasource_id'])}, ${n}, ` +
      `${counted ? 'max(started_at)' : `${src}.started_at`}${from}${where}${group('region_id, datasource_id')} ` +
      `ON CONFLICT (region_id, datasource_id) DO UPDATE SET trips = ${T.regionDatasources}.trips + excluded.trips, ` +
      `latest_at = ${counted ? 'GREATEST' : 'max'}(${T.regionDatasources}.latest_at, excluded.latest_at)`,
    `INSERT INTO ${T.ingestions} (ingestion, new_trips) ${sel(['ingestion'])}, ${n}${from}${where}${group('ingestion')} ` +
      `ON CONFLICT (ingestion) DO UPDATE SET new_trips = ${T.ingestions}.new_trips + excluded.new_trips`,
  ];
  return { area, groups, narrow };
}

/**
 * PostgreSQL: the upserts of the coarse levels of `area_weeks` (see area-levels.ts), from trips
 * that are all new (`{ trips: relation }`) or, for a store built before the levels existed, from
 * its finest rows (`'finest'`).
 */
function coarseAreaStatements(levels: readonly number[], from: { trips: string } | 'finest', resolution: number): string[] {
  const upsert = `ON CONFLICT (side, cell, week) DO UPDATE SET trips = ${T.areaWeeks}.trips + excluded.trips`;
  return levels.flatMap((level) =>
    from !== 'finest'
      ? ([0, 1] as const).map((side) => {
          const parent = parentSql(side === 0 ? 'origin_cell' : 'destination_cell', level);
          return `INSERT INTO ${T.areaWeeks} (side, cell, week, trips) SELECT ${side}, ${parent}, week, count(*) FROM ${from.trips} GROUP BY 2, 3 ORDER BY 2, 3 ${upsert}`;
        })
      : [
          `INSERT INTO ${T.areaWeeks} (side, cell, week, trips) SELECT side, ${parentSql('cell', level)}, week, sum(trips) FROM ${T.areaWeeks} ` +
            `WHERE ${resolutionSql('cell')} = ${resolution} GROUP BY 1, 2, 3 ORDER BY 1, 2, 3 ${upsert}`,
        ],
  );
}

/**
 * PostgreSQL: every rollup upsert, in the order the rollup trigger runs them, counting the trips of
 * relation `src` (the trigger's transition table `new_trips`, or a table of trips all new).
 */
export function pgRollupStatements(settings: TripSettings, src = 'new_trips'): string[] {
  const rollup = rollupStatements(src, true, settings);
  const levels = areaLevelsOf(settings).slice(1);
  return [...rollup.area, rollup.groups, ...coarseAreaStatements(levels, { trips: src }, settings.areaResolution), ...rollup.narrow];
}

/**
 * PostgreSQL: the rollup statements of a month being built (bulk.ts): trips all new, in a month
 * `[from, to)` (its partition's bounds, {@link monthPartition}) that had no trips, and so no `area_weeks` row yet for a week that
 * lies wholly inside it. Same counts as {@link pgRollupStatements}, and the same rows in the same
 * order (two movers wait for each other, never deadlock), cheaper in two ways:
 *
 * - each side's cells are counted once into a temporary table, and every level of `area_weeks` is
 *   summed from those counts (a third of the trips' rows at resolution 10) instead of the trips;
 * - rows of weeks wholly inside the month are inserted plainly, about half the cost of an upsert
 *   that finds no row; only the weeks the month shares with its neighbours are upserted.
 */
export function pgBuildRollupStatements(settings: TripSettings, src: string, month: { from: string; to: string }): string[] {
  const cells = 'trips_month_cells';
  // Weeks are the epoch days of their Mondays; a month starts at a day's midnight.
  const inside = `week >= ${Date.parse(month.from) / DAY_MS} AND week + 7 <= ${Date.parse(month.to) / DAY_MS}`;
  const upsert = `ON CONFLICT (side, cell, week) DO UPDATE SET trips = ${T.areaWeeks}.trips + excluded.trips`;
  const level = (l: number) => {
    const rows =
      l === settings.areaResolution
        ? `SELECT side, cell, week, trips FROM ${cells}`
        : `SELECT side, ${parentSql('cell', l)} AS cell, week, sum(trips) AS trips FROM ${cells} GROUP BY 1, 2, 3`;
    return (
      `WITH level AS (${rows}), fresh AS (INSERT INTO ${T.areaWeeks} (side, cell, week, trips) SELECT side, cell, week, trips FROM level WHERE ${inside} ORDER BY 1, 2, 3) ` +
      `INSERT INTO ${T.areaWeeks} (side, cell, week, trips) SELECT side, cell, week, trips FROM level WHERE NOT (${inside}) ORDER BY 1, 2, 3 ${upsert}`
    );
  };
  const [finest, ...coarse] = areaLevelsOf(settings);
  const rollup = rollupStatements(src, true, settings);
  return [
    `CREATE TEMPORARY TABLE ${cells} ON COMMIT DROP AS SELECT 0 AS side, origin_cell AS cell, week, count(*)::integer AS trips FROM ${src} GROUP BY 2, 3 ` +
      `UNION ALL SELECT 1, destination_cell, week, count(*)::integer FROM ${src} GROUP BY 2, 3`,
    level(finest!),
    rollup.groups,
    ...coarse.map(level),
    ...rollup.narrow,
  ];
}

/** SQLite: row triggers. An upsert that finds the key fires no INSERT trigger, and its update is ignored. */
export function sqliteModelSql(settings: TripSettings): string[] {
  return [
    `CREATE INDEX IF NOT EXISTS trips_origin_area ON ${T.trips} (origin_cell, week, origin_lon, origin_lat)`,
    `CREATE INDEX IF NOT EXISTS trips_destination_area ON ${T.trips} (destination_cell, week, destination_lon, destination_lat)`,
    `CREATE TRIGGER IF NOT EXISTS trips_keep_first BEFORE UPDATE ON ${T.trips} BEGIN SELECT RAISE(IGNORE); END`,
    `CREATE TRIGGER IF NOT EXISTS trips_rollup AFTER INSERT ON ${T.trips} BEGIN ${Object.values(rollupStatements('NEW', false, settings)).flat().join('; ')}; END`,
  ];
}

/**
 * PostgreSQL: the fill factor of `trip_groups` pages. Half of a month's groups or more were met in
 * earlier months; their upserts are updates, about a third cheaper when the page has room for the
 * new version (measured on a month of 330k trips).
 */
const GROUPS_FILLFACTOR = 80;

/** PostgreSQL type of each column type of the trips spec (as the store maps them). */
const PG_TYPE: Record<string, string> = { timestamp: 'timestamptz', bigint: 'bigint', integer: 'integer', real: 'double precision', text: 'text' };

/**
 * PostgreSQL: `trips` becomes a table partitioned by month of `started_at` (while it is still empty;
 * the store created it plain), one statement-level trigger with a transition table updates the
 * rollups from the rows the statement really inserted, and a row trigger keeps the first copy of a
 * trip (the store's merge would otherwise rewrite the `ingestion` of a duplicate).
 */
export function pgModelSql(settings: TripSettings): string {
  const trips = tableSpecs[0]!;
  // Every level of the area rollup below the stored cells' own.
  const levels = areaLevelsOf(settings).slice(1);
  const columns = trips.columns.map((c) => `${c.name} ${PG_TYPE[c.type]} NOT NULL`).join(', ');
  return `DO $do$ BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('sluice-trips-model'));
  IF (SELECT relkind FROM pg_class WHERE oid = to_regclass('${T.trips}')) = 'r' THEN
    IF EXISTS (SELECT 1 FROM ${T.trips}) THEN
      RAISE EXCEPTION 'table ${T.trips} holds rows but is not partitioned; move them to another table first';
    END IF;
    DROP TABLE ${T.trips};
    CREATE TABLE ${T.trips} (${columns}, PRIMARY KEY (started_at, trip_id)) PARTITION BY RANGE (started_at);
  END IF;
  CREATE INDEX IF NOT EXISTS trips_origin_area ON ${T.trips} ${AREA_INDEXES.origin};
  CREATE INDEX IF NOT EXISTS trips_destination_area ON ${T.trips} ${AREA_INDEXES.destination};
  -- Bulk ingestion's staging: one partition per run (its rows are dropped once built), then by month.
  IF (SELECT relkind FROM pg_class WHERE oid = to_regclass('${T.staged}')) = 'r' THEN
    DROP TABLE ${T.staged};
    CREATE TABLE ${T.staged} (${columns}) PARTITION BY LIST (ingestion);
  END IF;
  CREATE TABLE IF NOT EXISTS ${T.stagingRuns} (ingestion bigint PRIMARY KEY, seen_at timestamptz NOT NULL);
  -- A group's row is updated by every ingestion with trips of it: room on its page lets the new
  -- version stay there without new index entries (a HOT update).
  IF NOT (SELECT coalesce(reloptions, '{}') @> '{fillfactor=${GROUPS_FILLFACTOR}}' FROM pg_class WHERE oid = to_regclass('${T.groups}')) THEN
    ALTER TABLE ${T.groups} SET (fillfactor = ${GROUPS_FILLFACTOR});
  END IF;
  CREATE OR REPLACE FUNCTION trips_rollup() RETURNS trigger LANGUAGE plpgsql AS $f$
  BEGIN
    ${pgRollupStatements(settings).join(';\n    ')};
    RETURN NULL;
  END $f$;
  CREATE OR REPLACE FUNCTION trips_keep_first() RETURNS trigger LANGUAGE plpgsql AS $f$ BEGIN RETURN NULL; END $f$;
  CREATE OR REPLACE TRIGGER trips_rollup AFTER INSERT ON ${T.trips} REFERENCING NEW TABLE AS new_trips FOR EACH STATEMENT EXECUTE FUNCTION trips_rollup();
  CREATE OR REPLACE TRIGGER trips_keep_first BEFORE UPDATE ON ${T.trips} FOR EACH ROW EXECUTE FUNCTION trips_keep_first();
  -- A store built before the coarse levels: count them from the finest rows, once. Writers of
  -- trips wait meanwhile (and, after this commits, run the trigger above), so none is counted twice.
  -- The recorded areaLevels setting says the levels are there; another process may have recorded it
  -- since this one read the settings.
  IF NOT EXISTS (SELECT 1 FROM ${T.settings} WHERE name = 'areaLevels') THEN
    LOCK TABLE ${T.trips} IN SHARE ROW EXCLUSIVE MODE;
    ${[...coarseAreaStatements(levels, 'finest', settings.areaResolution), `INSERT INTO ${T.settings} (name, value) VALUES ('areaLevels', '${settings.areaLevels}')`].join(';\n    ')};
  ELSIF (SELECT value FROM ${T.settings} WHERE name = 'areaLevels') <> '${settings.areaLevels}' THEN
    RAISE EXCEPTION 'table ${T.areaWeeks} was built with other --area-levels than ${settings.areaLevels}; use that value or a new database';
  END IF;
END $do$`;
}

/** The month partition of `ms` (UTC) of `table` (default `trips`): its name and bounds. */
export function monthPartition(ms: number, table: string = T.trips): { name: string; from: string; to: string } {
  const d = new Date(ms);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth();
  const iso = (year: number, month: number) => new Date(Date.UTC(year, month, 1)).toISOString();
  return { name: `${table}_p${y}_${String(m + 1).padStart(2, '0')}`, from: iso(y, m), to: iso(y, m + 1) };
}

/**
 * The lock a transaction takes before it creates or builds a month partition of `trips` (until it
 * ends): a bulk build and a partition made as rows arrive never race for the same month.
 */
export function monthLockSql(partition: string): string {
  return `PERFORM pg_advisory_xact_lock(hashtext('sluice-trips-month'), hashtext('${partition}'))`;
}

/** Creates a month partition if it does not exist (several processes may race: the loser is fine). */
export function createPartitionSql(ms: number): string {
  const p = monthPartition(ms);
  return `DO $do$ BEGIN
  ${monthLockSql(p.name)};
  CREATE TABLE IF NOT EXISTS ${p.name} PARTITION OF ${T.trips} FOR VALUES FROM ('${p.from}') TO ('${p.to}');
EXCEPTION WHEN duplicate_table OR unique_violation THEN NULL;
END $do$`;
}

/** The staging partition of a bulk ingestion's rows (partitioned by month; bulk.ts creates it). */
export function stagedParent(ingestion: number): string {
  return `${T.staged}_${ingestion}`;
}

/**
 * Creates the unlogged month partition of a bulk ingestion's staged rows, if it does not exist
 * (the processes reading ranges of one file race for it, like writers of `trips` do).
 */
export function createStagedMonthSql(ingestion: number, ms: number): string {
  const p = monthPartition(ms, stagedParent(ingestion));
  return `DO $do$ BEGIN
  ${monthLockSql(p.name)};
  CREATE UNLOGGED TABLE IF NOT EXISTS ${p.name} PARTITION OF ${stagedParent(ingestion)} FOR VALUES FROM ('${p.from}') TO ('${p.to}');
EXCEPTION WHEN duplicate_table OR unique_violation THEN NULL;
END $do$`;
}

/** Which engine a store speaks. */
export type Dialect = 'pg' | 'sqlite';

export function dialectOf(store: Store): Dialect {
  if (store.name === 'pg' || store.name === 'sqlite') return store.name;
  throw new ConfigError(`the trips example runs on PostgreSQL or SQLite stores, not "${store.name}"`, 'store');
}

/**
 * Migrates the model and checks the settings: the first migration records them; later runs must use
 * the same (the stored cells and buckets were computed with them). Returns the settings in force.
 */
export async function migrateModel(store: Store, wanted: Partial<TripSettings> = {}): Promise<TripSettings> {
  const dialect = dialectOf(store);
  if (dialect === 'sqlite' && (wanted.areaLevels ?? 0) > 0) {
    throw new ConfigError('--area-levels is for PostgreSQL stores; SQLite keeps only the stored resolution', 'areaLevels');
  }
  // What the asked settings refuse by themselves, before any table is made (the same checks follow
  // with the store's recorded settings): finer cells on SQLite, or cells coarser than the groups'.
  if (wanted.areaResolution !== undefined && dialect === 'sqlite' && wanted.areaResolution !== wanted.resolution) throw sqliteCellsRefused();
  if (wanted.areaResolution !== undefined && wanted.resolution !== undefined) checkAreaResolution(dialect, { ...DEFAULT_SETTINGS, ...wanted });
  await store.migrate(dialect === 'pg' ? [...tableSpecs, stagedSpec] : tableSpecs);
  const rows = await store.query<{ name: string; value: string }>(`SELECT name, value FROM ${T.settings}`);
  const stored = Object.fromEntries(rows.filter((r) => r.name in DEFAULT_SETTINGS).map((r) => [r.name, Number(r.value)])) as Partial<TripSettings>;
  const recorded = new Set(Object.keys(stored));
  // A store from before `areaResolution` stored its cells at the grouping resolution.
  if (stored.areaResolution === undefined && stored.resolution !== undefined) stored.areaResolution = stored.resolution;
  // A store from before `identity` has the ids of identity 1 (text hashes); its trips keep them.
  if (stored.identity === undefined && stored.resolution !== undefined) stored.identity = 1;
  const settings: TripSettings = { ...DEFAULT_SETTINGS, ...stored };
  if (stored.areaResolution === undefined && wanted.areaResolution === undefined) settings.areaResolution = wanted.resolution ?? settings.resolution;
  for (const key of Object.keys(DEFAULT_SETTINGS) as (keyof TripSettings)[]) {
    const asked = wanted[key];
    if (asked === undefined) continue;
    if (stored[key] !== undefined && stored[key] !== asked) {
      throw new ConfigError(
        `--${FLAGS[key]} ${asked} differs from ${stored[key]}, the setting this store's trips were computed with; ` +
          'use a new store (--store) to change it',
        key,
      );
    }
    settings[key] = asked;
  }
  checkAreaResolution(dialect, settings);
  if (dialect === 'pg') await store.query(pgModelSql(settings));
  else for (const sql of sqliteModelSql(settings)) await store.query(sql);
  // Settings not recorded yet (all of them at first; a setting added since, for an older store).
  const missing = Object.entries(settings).filter(([name]) => !recorded.has(name));
  if (missing.length > 0) await store.write({ table: T.settings, rows: missing.map(([name, value]) => ({ name, value: String(value) })) });
  return settings;
}

/** Refuses stored cells coarser than the groups' (or, on SQLite, other than theirs). */
function checkAreaResolution(dialect: Dialect, settings: TripSettings): void {
  if (settings.areaResolution < settings.resolution || settings.areaResolution > 15) {
    throw new ConfigError(`--area-resolution ${settings.areaResolution} must lie between --resolution (${settings.resolution}) and 15`, 'areaResolution');
  }
  if (dialect === 'sqlite' && settings.areaResolution !== settings.resolution) throw sqliteCellsRefused();
}

function sqliteCellsRefused(): ConfigError {
  return new ConfigError('--area-resolution is for PostgreSQL stores; SQLite stores cells at the grouping resolution (--resolution)', 'areaResolution');
}

/** The command-line flag of each setting. */
const FLAGS: Record<keyof TripSettings, string> = {
  resolution: 'resolution',
  bucketMinutes: 'bucket-minutes',
  areaLevels: 'area-levels',
  areaResolution: 'area-resolution',
  // No flag: chosen by the store's age (see migrateModel); the name stands in any message.
  identity: 'identity',
};

/**
 * Wraps a store so that a write of trips first makes sure of what the rows refer to: the
 * dimension rows of their regions and datasources (idempotent merges; one left behind by a crash
 * is harmless) and, on PostgreSQL, the month partitions of their times. `names` maps the ids in
 * rows to display names; the caller fills it while mapping records to rows.
 */
export function tripsStore(store: Store, names: { regions: Map<number, string>; datasources: Map<number, string> }): Store {
  const pg = dialectOf(store) === 'pg';
  const partitions = new Set<string>();
  /**
   * Epoch days whose month partition exists (a row's month, without a Date and three ISO strings per
   * row): of `trips`, and of each bulk run's staging.
   */
  const coveredDays = new Set<number>();
  const stagedDays = new Map<number, Set<number>>();
  const known = { regions: new Set<number>(), datasources: new Set<number>() };

  async function before(table: string, rows: readonly Row[]): Promise<void> {
    for (const kind of ['regions', 'datasources'] as const) {
      const column = kind === 'regions' ? 'region_id' : 'datasource_id';
      const fresh = new Map<number, string>();
      for (const row of rows) {
        const id = row[column] as number;
        if (!known[kind].has(id) && !fresh.has(id)) fresh.set(id, names[kind].get(id) ?? String(id));
      }
      if (fresh.size === 0) continue;
      await store.write({ table: kind === 'regions' ? T.regions : T.datasources, rows: [...fresh].map(([id, name]) => ({ id, name })) });
      if (known[kind].size > 100_000) known[kind].clear();
      for (const id of fresh.keys()) known[kind].add(id);
    }
    if (!pg) return;
    // Staged rows (bulk ingestion) go to their run's staging partition, trips to `trips`.
    const staged = table === T.staged;
    // Staged rows are one bulk run's (ingest.ts): the batch's ingestion id is its first row's.
    const ingestion = staged ? (rows[0]!.ingestion as number) : 0;
    let covered = coveredDays;
    if (staged) {
      covered = stagedDays.get(ingestion) ?? new Set<number>();
      stagedDays.set(ingestion, covered);
    }
    const months = new Map<string, number>();
    const days: number[] = [];
    for (const row of rows) {
      const ms = row.started_at as number;
      const day = Math.floor(ms / DAY_MS);
      if (covered.has(day)) continue;
      days.push(day);
      const name = monthPartition(ms, staged ? stagedParent(ingestion) : T.trips).name;
      if (!partitions.has(name)) months.set(name, ms);
    }
    for (const [name, ms] of months) {
      await store.query(staged ? createStagedMonthSql(ingestion, ms) : createPartitionSql(ms));
      partitions.add(name);
    }
    if (covered.size > 100_000) covered.clear();
    for (const day of days) covered.add(day);
  }

  return {
    ...store,
    name: store.name,
    migrate: (specs) => store.migrate(specs),
    async write(batch: WriteBatch): Promise<WriteResult> {
      if ((batch.table === T.trips || batch.table === T.staged) && batch.rows.length > 0) await before(batch.table, batch.rows);
      return store.write(batch);
    },
    ...(store.prepare ? { prepare: (batch: WriteBatch) => store.prepare!(batch) } : {}),
    readCheckpoint: (stream) => store.readCheckpoint(stream),
    readCheckpoints: (which) => store.readCheckpoints(which),
    readDeadLetters: (origin) => store.readDeadLetters(origin),
    query: (sql, params) => store.query(sql, params),
    stream: (sql, params, options) => store.stream(sql, params, options),
    close: () => store.close(),
  };
}

/** Whether an error is the store refusing a batch (not worth a retry). */
export function isRefusal(error: unknown): boolean {
  return error instanceof StoreError && !error.retriable;
}

/**
 * After an ingestion (PostgreSQL): refreshes the planner's statistics (rollups grow inside triggers,
 * and a planner that still believes them empty joins the box ranges by scanning them) and the
 * visibility map (so that boundary cells are read from the covering index alone). Only pages
 * written since the last vacuum are visited.
 */
export async function analyzeModel(store: Store): Promise<void> {
  if (dialectOf(store) !== 'pg') return;
  await store.query(`VACUUM (ANALYZE) ${T.regionWeeks}, ${T.areaWeeks}, ${T.groups}, ${T.regionDatasources}, ${T.regions}, ${T.datasources}, ${T.trips}`);
}
