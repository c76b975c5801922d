/**
 * The benchmark's data: trip-like CSV rows (region, origin and destination lon/lat, datetime,
 * datasource), about 110 bytes each, and the table they land in. Row `i` is a pure function of `i`
 * (a seeded hash), so every run writes the same file for the same row count. `datetime` is
 * `2018-01-01 00:00:00` plus `i` seconds: the natural key (region, datetime) is unique per row, and
 * every path must land exactly one row per line.
 */
import type { CsvColumnType, TableSpec } from '@sluice/core';

/** Column names, in file and table order. */
export const TRIP_COLUMNS = ['region', 'origin_lon', 'origin_lat', 'destination_lon', 'destination_lat', 'datetime', 'datasource'] as const;

/** The CSV header line (without line end). */
export const TRIP_HEADER = TRIP_COLUMNS.join(',');

/** The natural key. */
export const TRIP_KEY = ['region', 'datetime'] as const;

/**
 * Column types of the CSV source: the coordinates are checked as decimals and kept as their text
 * (the stores hand the exact text to the database, which parses it), the rest stays text.
 */
export const TRIP_CSV_TYPES: Readonly<Record<string, CsvColumnType>> = {
  origin_lon: 'decimal',
  origin_lat: 'decimal',
  destination_lon: 'decimal',
  destination_lat: 'decimal',
};

/** A trip as the CSV source yields it (with `TRIP_CSV_TYPES`); the coordinates are decimal text. */
export type Trip = {
  region: string;
  origin_lon: string;
  origin_lat: string;
  destination_lon: string;
  destination_lat: string;
  datetime: string;
  datasource: string;
};

/** The Sluice table of trips, named `name`; every path's target table has this shape. */
export function tripTable(name: string): TableSpec {
  return {
    name,
    columns: [
      { name: 'region', type: 'text' },
      { name: 'origin_lon', type: 'real' },
      { name: 'origin_lat', type: 'real' },
      { name: 'destination_lon', type: 'real' },
      { name: 'destination_lat', type: 'real' },
      { name: 'datetime', type: 'timestamp' },
      { name: 'datasource', type: 'text' },
    ],
    key: [...TRIP_KEY],
  };
}

/** The envelope key of a trip: its natural key. */
export function tripKey(trip: Trip): string {
  return `${trip.region}|${trip.datetime}`;
}

const REGIONS: readonly [string, number, number][] = [
  ['Prague', 14.43, 50.08],
  ['Turin', 7.68, 45.07],
  ['Hamburg', 9.99, 53.55],
  ['Barcelona', 2.17, 41.39],
  ['Lisbon', -9.14, 38.72],
  ['Vienna', 16.37, 48.21],
  ['Oslo', 10.75, 59.91],
  ['Krakow', 19.94, 50.06],
];
const SOURCES = ['funny_car', 'baba_car', 'cheap_mobile', 'bad_diesel_vehicles', 'pt_search_app'];
const EPOCH_MS = Date.UTC(2018, 0, 1);

/** A 32-bit integer hash of `i` and a salt (splitmix-style), spread over [0, 1). */
function unit(i: number, salt: number): number {
  let h = Math.imul(i ^ Math.imul(salt, 0x9e3779b1), 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 4_294_967_296;
}

/** `YYYY-MM-DD HH:MM:SS` of row `i`. */
export function tripDatetime(i: number): string {
  const iso = new Date(EPOCH_MS + i * 1000).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}`;
}

/** The CSV line of row `i` (0-based), without line end. */
export function tripLine(i: number): string {
  const [region, lon, lat] = REGIONS[Math.floor(unit(i, 1) * REGIONS.length)]!;
  const coordinate = (center: number, salt: number) => (center + (unit(i, salt) - 0.5) * 0.3).toFixed(14);
  const source = SOURCES[Math.floor(unit(i, 6) * SOURCES.length)]!;
  return `${region},${coordinate(lon, 2)},${coordinate(lat, 3)},${coordinate(lon, 4)},${coordinate(lat, 5)},${tripDatetime(i)},${source}`;
}
