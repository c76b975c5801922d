/** Running totals per pipeline, folded from status events (pure). */
import type { StatusEvent } from '@sluice/core';

/** What the view knows of how much a pipeline has to do, so it can show percent and ETA. */
export type ProgressTotal = { bytes: number } | { records: number };

/** One pipeline's progress. */
export interface PipelineProgress {
  pipeline: string;
  read: number;
  published: number;
  persisted: number;
  rejected: number;
  retries: number;
  /** Byte offset of the latest read, for file sources. */
  offset?: number;
  /** When the first event came (ms). */
  startedAt: number;
  /** When the latest event came (ms). */
  lastAt: number;
  state: 'running' | 'done' | 'failed' | 'stopped';
  /** The error of a failed pipeline. */
  error?: string;
  total?: ProgressTotal;
}

/** Folds one event into the map of pipelines (mutates and returns it). */
export function foldProgress(pipelines: Map<string, PipelineProgress>, event: StatusEvent, total?: ProgressTotal): Map<string, PipelineProgress> {
  let entry = pipelines.get(event.pipeline);
  if (!entry) {
    entry = { pipeline: event.pipeline, read: 0, published: 0, persisted: 0, rejected: 0, retries: 0, startedAt: event.at, lastAt: event.at, state: 'running', ...(total ? { total } : {}) };
    pipelines.set(event.pipeline, entry);
  }
  entry.lastAt = event.at;
  switch (event.type) {
    case 'read':
      entry.read = event.total;
      if (event.position?.offset !== undefined) entry.offset = event.position.offset;
      break;
    case 'published':
    case 'persisted':
    case 'rejected':
      entry[event.type] = event.total;
      break;
    case 'retry':
      entry.retries++;
      break;
    case 'done':
    case 'failed':
      entry.read = event.summary.read;
      entry.published = event.summary.published;
      entry.persisted = event.summary.persisted;
      entry.rejected = event.summary.rejected;
      entry.state = event.type === 'failed' ? 'failed' : event.summary.stopped ? 'stopped' : 'done';
      if (event.type === 'failed') entry.error = event.error;
      break;
  }
  return pipelines;
}

/** Records the pipeline has finished with: persisted where it writes a store, else published, else read. */
export function recordsDone(entry: PipelineProgress): number {
  return Math.max(entry.persisted + entry.rejected, entry.published + entry.rejected, entry.read);
}

/** Fraction done in [0, 1], when the total is known. */
export function fractionDone(entry: PipelineProgress): number | undefined {
  const total = entry.total;
  if (!total) return undefined;
  if ('bytes' in total) return total.bytes > 0 && entry.offset !== undefined ? Math.min(1, entry.offset / total.bytes) : undefined;
  return total.records > 0 ? Math.min(1, recordsDone(entry) / total.records) : undefined;
}
