/** Small lakes for the tests: a few vehicles, fixes every 30–90 s, so a run takes a second or two. */
import { generateLake, type GenerateOptions, type GenerateResult } from '../../src/generate.js';

/** The test lake's options (three days, two organisations, six vehicles). */
export const smallLake = (out: string, extra: Partial<GenerateOptions> = {}): GenerateOptions => ({
  out,
  days: 3,
  vehicles: 6,
  organisations: 2,
  seed: 7,
  fixSeconds: [30, 90],
  ...extra,
});

/** Writes a small lake into `out`. */
export function writeSmallLake(out: string, extra: Partial<GenerateOptions> = {}): Promise<GenerateResult> {
  return generateLake(smallLake(out, extra));
}
