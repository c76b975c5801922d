/**
 * `pnpm trips gen --rows N --out FILE [--seed S]`: realistic trip files in bounded memory. Several
 * cities, each with hotspots (stations, centres, airports) that draw most origins and
 * destinations; a daily rhythm (morning and evening peaks, quiet nights) and a weekly one (fewer
 * trips at weekends); several data sources with different shares; a few exact duplicates, as real
 * feeds resend rows. Deterministic for a seed.
 */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createSeededRandom, type SeededRandom } from '@sluice/core';
import { integerOption, parseCommandLine, required } from '@sluice/runtime';

interface City {
  name: string;
  lon: number;
  lat: number;
  /** Relative share of trips. */
  weight: number;
  hotspots: { lon: number; lat: number; weight: number }[];
}

const CITIES: City[] = [
  { name: 'Prague', lon: 14.4378, lat: 50.0755, weight: 5, hotspots: [] },
  { name: 'Turin', lon: 7.6869, lat: 45.0703, weight: 4, hotspots: [] },
  { name: 'Hamburg', lon: 9.9937, lat: 53.5511, weight: 4, hotspots: [] },
  { name: 'Lisbon', lon: -9.1393, lat: 38.7223, weight: 3, hotspots: [] },
  { name: 'Krakow', lon: 19.945, lat: 50.0647, weight: 2, hotspots: [] },
  { name: 'Lyon', lon: 4.8357, lat: 45.764, weight: 2, hotspots: [] },
];
const DATASOURCES = [
  { name: 'cheap_mobile', weight: 5 },
  { name: 'funny_car', weight: 3 },
  { name: 'baba_car', weight: 3 },
  { name: 'pt_search_app', weight: 2 },
  { name: 'bad_diesel_vehicles', weight: 1 },
];
/** Relative trips per hour of day (UTC): night lull, morning and evening peaks. */
const HOURS = [1, 0.6, 0.4, 0.3, 0.4, 1, 3, 6, 8, 5, 4, 4, 5, 4, 4, 5, 6, 8, 7, 5, 4, 3, 2, 1.5];
/** Relative trips per weekday, Monday first. */
const WEEKDAYS = [1, 1, 1, 1, 1.1, 0.7, 0.5];

function pick<T extends { weight: number }>(items: readonly T[], random: SeededRandom): T {
  const total = items.reduce((sum, item) => sum + item.weight, 0);
  let x = random.next() * total;
  for (const item of items) {
    x -= item.weight;
    if (x < 0) return item;
  }
  return items[items.length - 1]!;
}

/** Cumulative distribution of the seconds of a week, for drawing trip times. */
function weekDistribution(): Float64Array {
  const cdf = new Float64Array(7 * 24);
  let sum = 0;
  for (let d = 0; d < 7; d++) for (let h = 0; h < 24; h++) cdf[d * 24 + h] = sum += WEEKDAYS[d]! * HOURS[h]!;
  for (let i = 0; i < cdf.length; i++) cdf[i]! /= sum;
  return cdf;
}

/** Options of {@link generateTrips}. */
export interface GenerateOptions {
  rows: number;
  seed?: number;
  /** First Monday of the data (epoch ms), default 2018-04-30. */
  start?: number;
  /** Weeks the data spans (default 26). */
  weeks?: number;
}

/** Yields CSV lines (header first), each ending in a newline; constant memory. */
export function* generateTrips(options: GenerateOptions): Generator<string> {
  const random = createSeededRandom(options.seed ?? 1);
  const start = options.start ?? Date.UTC(2018, 3, 30);
  const weeks = options.weeks ?? 26;
  const cdf = weekDistribution();
  const cities = CITIES.map((city) => ({
    ...city,
    hotspots: Array.from({ length: 8 }, (_, k) => ({
      lon: city.lon + random.normal() * 0.04,
      lat: city.lat + random.normal() * 0.025,
      weight: k === 0 ? 6 : 1 + random.next() * 3,
    })),
  }));
  const place = (city: (typeof cities)[number]) => {
    if (random.next() < 0.25) return { lon: city.lon + random.normal() * 0.08, lat: city.lat + random.normal() * 0.05 };
    const spot = pick(city.hotspots, random);
    return { lon: spot.lon + random.normal() * 0.004, lat: spot.lat + random.normal() * 0.003 };
  };
  const fmt = (ms: number) => new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
  yield 'region,origin_coord,destination_coord,datetime,datasource\n';
  let previous = '';
  for (let i = 0; i < options.rows; i++) {
    if (previous !== '' && random.next() < 0.001) {
      yield previous; // a resent row: one trip, counted once
      continue;
    }
    const city = pick(cities, random);
    const origin = place(city);
    const destination = place(city);
    const x = random.next();
    let slot = 0;
    while (cdf[slot]! < x) slot++;
    const at = start + random.int(weeks) * 7 * 86_400_000 + slot * 3_600_000 + random.int(3600) * 1000;
    const source = pick(DATASOURCES, random).name;
    previous = `${city.name},POINT (${origin.lon.toFixed(14)} ${origin.lat.toFixed(14)}),POINT (${destination.lon.toFixed(14)} ${destination.lat.toFixed(14)}),${fmt(at)},${source}\n`;
    yield previous;
  }
}

/** Writes a generated file, honouring the stream's backpressure. */
export async function writeTrips(path: string, options: GenerateOptions): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const out = createWriteStream(path);
  let buffer = '';
  for (const line of generateTrips(options)) {
    buffer += line;
    if (buffer.length >= 1 << 16) {
      if (!out.write(buffer)) await once(out, 'drain');
      buffer = '';
    }
  }
  out.end(buffer);
  await once(out, 'finish');
}

export async function genCommand(argv: string[]): Promise<void> {
  const usage = 'Usage: pnpm trips gen --rows N --out FILE [--seed S] [--weeks W]';
  const { values } = parseCommandLine(argv, { usage, options: { rows: { type: 'string' }, out: { type: 'string' }, seed: { type: 'string' }, weeks: { type: 'string' } } });
  const rows = required('rows', integerOption('rows', values.rows, { min: 0 }));
  const out = required('out', values.out);
  const seed = integerOption('seed', values.seed, { min: 0 }) ?? 1;
  const weeks = integerOption('weeks', values.weeks, { min: 1, max: 5000 }) ?? 26;
  await writeTrips(out, { rows, seed, weeks });
  console.log(`wrote ${rows} rows to ${out}`);
}
