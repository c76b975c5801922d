/**
 * Checks of the parts of a write batch and of a checkpoint read that every store adapter treats the
 * same way: the batch's checkpoints, the rows it replaces, and which checkpoints to read. Pure; each
 * returns what is wrong as a sentence, for the adapter to raise as its own error type.
 */
import type { Checkpoint, CheckpointSelector, TableSpec, WriteBatch } from './types.js';

/** Most values a batch's `replace` may name (a statement parameter each, or one array). */
export const MAX_REPLACE_VALUES = 100_000;

/** A batch's checkpoints, `checkpoint` first, or what is wrong with them. */
export function batchCheckpoints(batch: WriteBatch): Checkpoint[] | string {
  const more: unknown = batch.checkpoints;
  if (more !== undefined && !Array.isArray(more)) return 'checkpoints must be an array of { stream, position }';
  const all: unknown[] = [...(batch.checkpoint === undefined ? [] : [batch.checkpoint]), ...((more as unknown[] | undefined) ?? [])];
  const seen = new Set<string>();
  for (const [i, checkpoint] of all.entries()) {
    const which = batch.checkpoint !== undefined && i === 0 ? 'the checkpoint' : `checkpoints[${batch.checkpoint === undefined ? i : i - 1}]`;
    const { stream, position } = (checkpoint ?? {}) as Partial<Checkpoint>;
    if (typeof stream !== 'string' || typeof position !== 'object' || position === null || Array.isArray(position)) {
      return `${which} needs a string stream and a position object`;
    }
    if (seen.has(stream)) return `stream "${stream}" has two checkpoints in one batch; give each stream one position`;
    seen.add(stream);
  }
  return all as Checkpoint[];
}

/**
 * What is wrong with a batch's `replace` for its table's spec (`undefined` when the batch names no
 * table), or `undefined` when it can be applied or there is none.
 */
export function replaceProblem(batch: WriteBatch, spec: TableSpec | undefined): string | undefined {
  const replace: unknown = batch.replace;
  if (replace === undefined) return undefined;
  if (spec === undefined) return 'replace needs the table whose rows it deletes: set batch.table';
  const { column, in: values } = (replace ?? {}) as { column?: unknown; in?: unknown };
  const found = spec.columns.find((c) => c.name === column);
  if (found === undefined) {
    return `replace.column ${JSON.stringify(column)} is not a column of table "${spec.name}" (it has ${spec.columns.map((c) => c.name).join(', ')})`;
  }
  if (found.type === 'json') return `replace.column "${found.name}" is a json column; replace by a column of another type`;
  if (!Array.isArray(values)) return 'replace.in must be an array of the values whose rows are deleted';
  if (values.length > MAX_REPLACE_VALUES) return `replace.in has ${values.length} values; give at most ${MAX_REPLACE_VALUES} a batch`;
  const missing = values.findIndex((v) => v === null || v === undefined);
  if (missing >= 0) return `replace.in[${missing}] is ${String(values[missing])}; rows are replaced by values, not by missing ones`;
  return undefined;
}

/** A checked checkpoint selector: distinct stream names, or a prefix. */
export type CheckedSelector = { streams: string[] } | { prefix: string };

/** The selector of `readCheckpoints` checked, or what is wrong with it. */
export function checkpointSelector(which: CheckpointSelector): CheckedSelector | string {
  if (Array.isArray(which)) {
    const bad = which.findIndex((s) => typeof s !== 'string');
    if (bad >= 0) return `readCheckpoints: stream ${bad} is not a string; give stream names or { prefix }`;
    return { streams: [...new Set(which as string[])] };
  }
  const prefix: unknown = (which as { prefix?: unknown } | null)?.prefix;
  if (typeof prefix !== 'string') return 'readCheckpoints: give an array of stream names or { prefix: string }';
  return { prefix };
}
