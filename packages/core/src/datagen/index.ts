/**
 * Seeded, deterministic generator of machine data shaped like `metrics.json` / `workorder.json`,
 * with planted relations (the truth) to test analytics against, and a streamed file writer.
 */
export { resolveMachineDataOptions, type MachineDataOptions, type PlantedRelation, type ResolvedMachineDataOptions } from './options.js';
export type { MachineDataTruth, PlantedDriver } from './plan.js';
export {
  generateMachineData,
  machineDataStream,
  toMetricRecords,
  type MachineData,
  type MachineDataChunk,
  type MachineDataStream,
} from './generate.js';
export { createSeededRandom, type SeededRandom } from './random.js';
export { machineDataJsonLines, formatMachineDataTime, type MachineDataTimeFormat } from './format.js';
export { writeMachineDataFiles, type MachineDataFiles, type WriteMachineDataOptions, type WrittenMachineData } from './write-files.js';
