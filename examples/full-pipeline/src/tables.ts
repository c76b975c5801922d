/**
 * How machine data is stored: one table per kind, keyed by its natural identity. Ids are stored
 * as JSON text so a number comes back a number and a string a string ("7" and 7 stay distinct).
 */
import { metricKey, metricSchema, workorderKey, workorderSchema, type Metric, type Row, type TableSpec, type Workorder } from '@sluice/core';

/** Topic and table names, overridable so several pipelines can share a broker and a store. */
export interface Names {
  metricsTopic: string;
  workordersTopic: string;
  metricsTable: string;
  workordersTable: string;
}

export const defaultNames: Names = {
  metricsTopic: 'machine.metrics',
  workordersTopic: 'machine.workorders',
  metricsTable: 'metrics',
  workordersTable: 'workorders',
};

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
