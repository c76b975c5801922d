/** Helpers shared by the analytics, datagen and report tests (not exported from the package). */
import { createSeededRandom } from '../datagen/random.js';
import type { MachineDataTruth } from '../datagen/plan.js';
import type { CorrelationResult, MachineDataId } from './types.js';

/** The ids of a product's top `k` ranked parameters. */
export function topParameters(result: CorrelationResult, product: MachineDataId, k = 3): MachineDataId[] {
  const found = result.products.find((p) => p.product === product);
  if (!found) throw new Error(`product ${JSON.stringify(product)} is missing from the result`);
  return found.ranking.slice(0, k).map((e) => e.parameter);
}

/** The planted drivers of a product, strongest first. */
export function plantedDrivers(truth: MachineDataTruth, product: MachineDataId): MachineDataId[] {
  return truth.products.find((p) => p.product === product)!.drivers.map((d) => d.parameter);
}

/** Ids sorted for order-insensitive comparison. */
export const asSet = (ids: readonly MachineDataId[]): string[] => ids.map((id) => JSON.stringify(id)).sort();

/** Every number inside `value` (recursively), with its path. */
export function numbersIn(value: unknown, path = '$'): { path: string; value: number }[] {
  if (typeof value === 'number') return [{ path, value }];
  if (Array.isArray(value)) return value.flatMap((v, i) => numbersIn(v, `${path}[${i}]`));
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => numbersIn(v, `${path}.${k}`));
  return [];
}

/** A copy of `items` in a seeded random order. */
export function shuffled<T>(items: readonly T[], seed: number): T[] {
  return createSeededRandom(seed).shuffle(items);
}
