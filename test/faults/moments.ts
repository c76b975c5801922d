/** Random moments of a fault run, reproducible from a seed. */

/** `count` sorted fractions drawn uniformly from [from, to) by a PRNG seeded with `seed` (mulberry32). */
export function randomMoments(seed: number, count: number, from = 0.05, to = 0.9): number[] {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
  return Array.from({ length: count }, () => from + (to - from) * next()).sort((a, b) => a - b);
}
