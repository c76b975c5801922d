/**
 * How machine data is stored: one table per kind, keyed by its natural identity. Ids are stored
 * as JSON text so a number comes back a number and a string a string ("7" and 7 stay distinct).
 */
import { ConfigError, metricKey, metricSchema, workorderKey, workorderSchema, type Metric, type Row, type TableSpec, type Workorder } from '@sluice/core';

/**
 * Topic, table, consumer-group and stream names, prefixed so several pipelines can share one
 * broker and one store without seeing each other's data.
 */
export interface Names {
  /** The prefix all other names carry (`''` for none). */
  prefix: string;
  metricsTopic: string;
  workordersTopic: string;
  metricsTable: string;
  workordersTable: string;
  /** Consumer group of the consumers; each topic is consumed by `<group>.<kind>` (see `groupOf`). */
  group: string;
}

/** What a prefix may look like: it becomes part of SQL identifiers and Kafka topic names. */
const PREFIX = /^[A-Za-z][A-Za-z0-9_]{0,39}$/;

/**
 * The names of one pipeline. Without a prefix: topics `machine.metrics`/`machine.workorders`,
 * tables `metrics`/`workorders`, group `sluice-machine-data`. With prefix `p`: topics
 * `p.machine.metrics`…, tables `p_metrics`…, group `p-sluice-machine-data`, and source names
 * (checkpoint streams, dead-letter origins) `p/api:metrics`….
 */
export function namesFor(prefix = ''): Names {
  if (prefix !== '' && !PREFIX.test(prefix)) {
    throw new ConfigError(
      `--prefix must start with a letter and hold only letters, digits and underscores (at most 40), got ${JSON.stringify(prefix)}`,
      'prefix',
    );
  }
  const dot = prefix ? `${prefix}.` : '';
  const underscore = prefix ? `${prefix}_` : '';
  return {
    prefix,
    metricsTopic: `${dot}machine.metrics`,
    workordersTopic: `${dot}machine.workorders`,
    metricsTable: `${underscore}metrics`,
    workordersTable: `${underscore}workorders`,
    group: `${prefix ? `${prefix}-` : ''}sluice-machine-data`,
  };
}

/** The unprefixed names. */
export const defaultNames: Names = namesFor();

/** A source name or dead-letter origin of this pipeline, e.g. `api:metrics` or `p/api:metrics`. */
export function qualified(names: Names, local: string): string {
  return names.prefix ? `${names.prefix}/${local}` : local;
}

/** The two tables. */
export function machineTables(names: Names): TableSpec[] {
  return [
    {
      name: names.metricsTable,
      columns: [
        { name: 'parameter', type: 'text' },
        { name: 'time', type: 'bigint' },
        { name: 'val', type: 'real' },
      ],
      key: ['parameter', 'time'],
    },
    {
      name: names.workordersTable,
      columns: [
        { name: 'product', type: 'text' },
        { name: 'time', type: 'bigint' },
        { name: 'production', type: 'real' },
      ],
      key: ['product', 'time'],
    },
  ];
}

/** What each kind of record needs to travel and land: schema, key, event time, row. */
export const kinds = {
  metrics: {
    schema: metricSchema,
    key: metricKey,
    time: (m: Metric) => m.time,
    toRow: (m: Metric): Row => ({ parameter: JSON.stringify(m.id), time: m.time, val: m.val }),
  },
  workorders: {
    schema: workorderSchema,
    key: workorderKey,
    time: (w: Workorder) => w.time,
    toRow: (w: Workorder): Row => ({ product: JSON.stringify(w.product), time: w.time, production: w.production }),
  },
} as const;

export type Kind = keyof typeof kinds;

/**
 * The consumer group that consumes one kind: `<group>.metrics`, `<group>.workorders`. One group per
 * topic, because Kafka clients (kafkajs among them) assign a group's partitions as if every member
 * subscribed to every topic of the group: two members of one group on different topics stall.
 */
export function groupOf(kind: Kind, group: string): string {
  return `${group}.${kind}`;
}

/** Topic and table of a kind. */
export function topicOf(kind: Kind, names: Names): string {
  return kind === 'metrics' ? names.metricsTopic : names.workordersTopic;
}
export function tableOf(kind: Kind, names: Names): string {
  return kind === 'metrics' ? names.metricsTable : names.workordersTable;
}

/** An id stored as JSON text, back as it was given. */
export function parseStoredId(text: unknown): number | string {
  const value: unknown = JSON.parse(String(text));
  if (typeof value !== 'number' && typeof value !== 'string') throw new Error(`stored id ${String(text)} is neither a number nor a string`);
  return value;
}

/** Both kinds, in the order the pipeline handles them. */
export const kindNames: readonly Kind[] = ['metrics', 'workorders'];

/** Every dead-letter origin this pipeline writes: producer sources, webhook, consumer topics. */
export function originsOf(names: Names): string[] {
  return kindNames.flatMap((kind) => [
    qualified(names, `api:${kind}`),
    qualified(names, `file:${kind}`),
    qualified(names, `webhook:${kind}`),
    topicOf(kind, names),
  ]);
}
