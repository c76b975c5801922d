/** The three boxes the trips bench asks about (all in the generator's Prague region). */
import type { Box } from '../../examples/trips/src/cover.js';

export const BENCH_BOXES: Record<'district' | 'city' | 'country', Box> = {
  district: { minLon: 14.41, minLat: 50.07, maxLon: 14.44, maxLat: 50.09 },
  city: { minLon: 14.25, minLat: 49.95, maxLon: 14.65, maxLat: 50.18 },
  country: { minLon: 12.09, minLat: 48.55, maxLon: 18.86, maxLat: 51.06 },
};
