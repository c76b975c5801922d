/**
 * Text of generated records as they appear in `metrics.json` / `workorder.json`: one JSON object per
 * line inside a JSON array. Pure; the file writing lives in `write-files.ts`.
 */
import type { MachineDataChunk } from './generate.js';

/** How times are written: ISO-8601 text (default), epoch milliseconds, or epoch seconds (as in the sample files). */
export type MachineDataTimeFormat = 'iso' | 'epoch-ms' | 'epoch-s';

/** A time (epoch ms) in the chosen format. */
export function formatMachineDataTime(ms: number, format: MachineDataTimeFormat): string | number {
  if (format === 'epoch-ms') return ms;
  if (format === 'epoch-s') return Math.round(ms / 1000);
  return new Date(ms).toISOString();
}

/** The JSON text of a chunk's records, one per line, separated by `,\n` (no brackets). */
export function machineDataJsonLines(chunk: MachineDataChunk, format: MachineDataTimeFormat): { metrics: string; workorders: string } {
  const { id, val, time } = chunk.metrics;
  const metrics = id.map((p, i) => JSON.stringify({ id: p, val: val[i], time: formatMachineDataTime(time[i]!, format) }));
  const workorders = chunk.workorders.map((w) => JSON.stringify({ time: formatMachineDataTime(w.time, format), product: w.product, production: w.production }));
  return { metrics: metrics.join(',\n'), workorders: workorders.join(',\n') };
}
