/**
 * The benchmark's paths: the hand-written ceilings, the peer baseline and the Sluice paths, in the
 * order they run (each Sluice path right after its ceiling, so that both see the same machine load).
 * A path's plan says which processes to run, which of them ends the clock, how to count what landed
 * and what to clean up.
 */
import type { BenchSettings } from './args.js';
import type { WorkerConfig } from './config.js';
import type { ProcessSpec } from './processes.js';
import { removeSqlite, type Targets } from './targets.js';
import { TRIP_COLUMNS } from './trips.js';

/** What a path is. */
export type PathKind = 'ceiling' | 'baseline' | 'sluice';

/** What the parent needs to run one path once. */
export interface PathPlan {
  /** Rows the path must land. */
  rows: number;
  /** Rows per batch used. */
  batchSize: number;
  specs: ProcessSpec[];
  /** Role of the process whose end is the path's end (the one that lands the last row). */
  endRole: string;
  beforeGo?: () => Promise<void>;
  /** Rows in the target after the run. */
  count(): Promise<number>;
  cleanup(): Promise<void>;
}

/** Everything a plan is made from. */
export interface PathContext {
  settings: BenchSettings;
  targets: Targets;
  /** The trips CSV file. */
  file: string;
  /** A name part unique to this run and repetition, e.g. `k3f9_1`. */
  id: string;
}

/** One path. */
export interface PathDef {
  name: string;
  kind: PathKind;
  /** The ceiling this path is measured against (null for the ceilings themselves). */
  ceiling: string | null;
  plan(context: PathContext): Promise<PathPlan>;
}

/** The common part of a worker's config. */
function baseConfig(context: PathContext, table: string, rows: number, batchSize: number): WorkerConfig {
  const { settings, targets, file } = context;
  return {
    file,
    rows,
    batchSize,
    pgUrl: targets.urls.pg,
    redisUrl: targets.urls.redis,
    kafkaBrokers: targets.urls.kafka,
    rabbitmqUrl: targets.urls.rabbitmq,
    schema: targets.schema,
    table,
    partitions: settings.partitions,
    ...(settings.maxBuffered ? { maxBuffered: settings.maxBuffered } : {}),
    ...(settings.maxInFlight ? { maxInFlight: settings.maxInFlight } : {}),
    ...(settings.poolSize ? { poolSize: settings.poolSize } : {}),
  };
}

/** A fresh PostgreSQL table of trips for one run of `path`, with its count and its cleanup. */
async function pgTarget(path: string, context: PathContext): Promise<{ table: string; count(): Promise<number>; cleanup(): Promise<void> }> {
  const table = `t_${path.replace(/-/g, '_')}_${context.id}`;
  await context.targets.createPgTable(table);
  return { table, count: () => context.targets.countPg(table), cleanup: () => context.targets.dropPgTable(table) };
}

/** A single-process path writing into a fresh PostgreSQL table; `spec` makes its one process. */
function pgPath(name: string, kind: PathKind, ceiling: string | null, batch: (s: BenchSettings) => number, spec: (config: WorkerConfig, context: PathContext) => ProcessSpec): PathDef {
  return {
    name,
    kind,
    ceiling,
    async plan(context) {
      const target = await pgTarget(name, context);
      const config = baseConfig(context, target.table, context.settings.rows, batch(context.settings));
      return { rows: config.rows, batchSize: config.batchSize, specs: [spec(config, context)], endRole: name, count: target.count, cleanup: target.cleanup };
    },
  };
}

/** A path through a broker into PostgreSQL: a consumer process and a producer process. */
function brokerPath(
  name: string,
  kind: PathKind,
  ceiling: string | null,
  broker: 'redis' | 'kafka' | 'rabbitmq',
  sluice: boolean,
  write: 'copy' | 'row' = 'copy',
  extra: Partial<WorkerConfig> = {},
): PathDef {
  return {
    name,
    kind,
    ceiling,
    async plan(context) {
      const { targets, settings } = context;
      const target = await pgTarget(name, context);
      const rows = write === 'row' ? Math.min(settings.baselineRows, settings.rows) : settings.rows;
      const topic = `bench_${name.replace(/-/g, '_')}_${context.id}`;
      const group = `g_${context.id}`;
      const worker = sluice ? 'sluice-broker-pg.ts' : `${broker}-minimal.ts`;
      const args = sluice ? [broker] : [];
      const batch = sluice ? settings.sluiceBrokerBatch : settings.brokerBatch;
      const config: WorkerConfig = { ...baseConfig(context, target.table, rows, batch), topic, group, write, ...extra };
      const streamKey = sluice ? `sluice:${topic}` : topic;
      // RabbitMQ: the Sluice adapter's names (`sluice.<topic>`, `sluice.<topic>|<group>`), and the same for the ceiling.
      const exchange = `sluice.${topic}`;
      const queue = `${exchange}|${group}`;
      if (broker === 'redis') await targets.createRedisGroup(streamKey, group);
      else if (broker === 'rabbitmq') await targets.createRabbitGroup(exchange, queue);
      else await targets.createKafkaTopic(topic, settings.partitions);
      return {
        rows,
        batchSize: config.batchSize,
        specs: [
          { role: 'consume', worker, args, config: { ...config, role: 'consume' } },
          { role: 'produce', worker, args, config: { ...config, role: 'produce' } },
        ],
        endRole: 'consume',
        ...(broker === 'kafka' ? { beforeGo: () => targets.waitForKafkaGroup(group, 1) } : {}),
        count: target.count,
        cleanup: async () => {
          await target.cleanup();
          if (broker === 'redis') {
            await targets.deleteRedisKeys(streamKey, `${streamKey}.dead-letters`);
          } else if (broker === 'rabbitmq') {
            await targets.deleteRabbitGroup(exchange, queue);
          } else {
            await targets.deleteKafkaTopics(topic, `${topic}.dead-letters`);
            await targets.deleteKafkaGroups(group);
          }
        },
      };
    },
  };
}

/** A path writing into a fresh SQLite file. */
function sqlitePath(name: string, kind: PathKind, ceiling: string | null, worker: string): PathDef {
  return {
    name,
    kind,
    ceiling,
    async plan(context) {
      const table = 'trips';
      const sqliteFile = await context.targets.createSqlite(`${name}-${context.id}`, table);
      const config: WorkerConfig = {
        ...baseConfig(context, table, context.settings.rows, context.settings.sqliteBatch),
        sqliteFile,
        topic: 'trips',
        group: 'sqlite',
      };
      return {
        rows: config.rows,
        batchSize: config.batchSize,
        specs: [{ role: name, worker, config }],
        endRole: name,
        count: () => context.targets.countSqlite(sqliteFile, table),
        cleanup: () => removeSqlite(sqliteFile),
      };
    },
  };
}

/** `psql \copy` of the whole file into the table, one transaction. */
const copyPsql = pgPath(
  'copy-psql',
  'ceiling',
  null,
  (s) => s.rows,
  (config, context) => ({
    role: 'copy-psql',
    command: 'psql',
    args: [
      config.pgUrl,
      '-v',
      'ON_ERROR_STOP=1',
      '-c',
      `\\copy "${config.schema}"."${config.table}" (${TRIP_COLUMNS.join(', ')}) from '${context.file}' with (format csv, header true)`,
    ],
    env: { PGTZ: 'UTC' },
  }),
);

/** Every path, in running order. */
export const PATHS: readonly PathDef[] = [
  copyPsql,
  pgPath('direct-pg-append', 'sluice', 'copy-psql', (s) => s.pgBatch, (config) => ({
    role: 'direct-pg-append',
    worker: 'sluice-direct-pg.ts',
    config: { ...config, mode: 'append' },
  })),
  pgPath('copy-merge-minimal', 'ceiling', null, (s) => s.pgBatch, (config) => ({ role: 'copy-merge-minimal', worker: 'copy-merge-minimal.ts', config })),
  pgPath('direct-pg-merge', 'sluice', 'copy-merge-minimal', (s) => s.pgBatch, (config) => ({
    role: 'direct-pg-merge',
    worker: 'sluice-direct-pg.ts',
    config: { ...config, mode: 'merge' },
  })),
  sqlitePath('sqlite-multirow-minimal', 'ceiling', null, 'sqlite-minimal.ts'),
  sqlitePath('memory-sqlite', 'sluice', 'sqlite-multirow-minimal', 'sluice-memory-sqlite.ts'),
  brokerPath('redis-copy-minimal', 'ceiling', null, 'redis', false),
  brokerPath('redis-pg', 'sluice', 'redis-copy-minimal', 'redis', true),
  brokerPath('row-insert-baseline', 'baseline', 'redis-copy-minimal', 'redis', false, 'row'),
  brokerPath('rabbitmq-copy-minimal', 'ceiling', null, 'rabbitmq', false),
  brokerPath('rabbitmq-pg', 'sluice', 'rabbitmq-copy-minimal', 'rabbitmq', true),
  // The same with the RabbitMQ adapter's opt-in packEnvelopes: one AMQP message per publish (up to 512 KiB).
  brokerPath('rabbitmq-pg-packed', 'sluice', 'rabbitmq-copy-minimal', 'rabbitmq', true, 'copy', { packEnvelopes: true }),
  brokerPath('kafka-copy-minimal', 'ceiling', null, 'kafka', false),
  brokerPath('kafka-pg', 'sluice', 'kafka-copy-minimal', 'kafka', true),
  // The same with the Kafka adapter's opt-in packEnvelopes: one record per partition and publish.
  brokerPath('kafka-pg-packed', 'sluice', 'kafka-copy-minimal', 'kafka', true, 'copy', { packEnvelopes: true }),
];
