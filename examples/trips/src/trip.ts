/**
 * A trip as the pipeline keeps it: one CSV row checked and normalised, its identity, its week and
 * time-of-day bucket and its H3 cells. Pure.
 *
 * Identity: two rows are the same trip when their normalised contents are equal: region and
 * datasource compared without case and surrounding or repeated spaces, coordinates as numbers (so
 * `14.50` and `14.5` are one longitude), the time to the millisecond in UTC. Two genuinely identical
 * rows (same region, points, time and datasource) are therefore one trip: the second is a duplicate.
 */
import { digitsAt, utcMillis } from '@sluice/core';
import { latLngToCell } from 'h3-js';
import { z } from 'zod';
import { DAY_MS, mondayOf } from './weeks.js';

/** A point in degrees. */
export interface Point {
  lon: number;
  lat: number;
}

/** The settings that shape derived columns; fixed when the store is first migrated. */
export interface TripSettings {
  /** H3 resolution of the cells of groups of similar trips, and a level of the area rollup. */
  resolution: number;
  /**
   * H3 resolution of the cells stored with each trip and of the finest level of the area rollup
   * (PostgreSQL; `resolution` up to 15, by default `resolution`): a finer one keeps the part of a box
   * answered from raw rows, a strip along its edges, thin (see area-levels.ts).
   */
  areaResolution: number;
  /** Width of a time-of-day bucket in minutes (a divisor of 1440). */
  bucketMinutes: number;
  /**
   * Coarser levels of the area rollup kept besides `resolution` (0 to 3; PostgreSQL): faster box
   * answers for more work per ingested trip (see area-levels.ts).
   */
  areaLevels: number;
  /**
   * How a trip's id is computed from its normalised content (see {@link tripIdentity}): 2, a hash of
   * the values, in stores made since it exists; 1, a hash of their text, in older ones (kept, so that
   * their trips ingested again are found as duplicates).
   */
  identity: number;
}

/**
 * Defaults, justified in the README: res 8 cells (~0.74 km², ~460 m edge), 30-minute buckets, no
 * coarse levels, cells stored at the grouping resolution (`areaResolution` follows `resolution`
 * unless set: see `migrateModel`).
 */
export const DEFAULT_SETTINGS: TripSettings = { resolution: 8, bucketMinutes: 30, areaLevels: 0, areaResolution: 8, identity: 2 };

/** A checked, normalised trip; what travels through a broker (JSON-safe). */
export interface Trip {
  region: string;
  datasource: string;
  origin: Point;
  destination: Point;
  /** Epoch milliseconds, UTC. */
  at: number;
}

/** Earliest and latest accepted trip times: 1970-01-01 up to (not including) 2100-01-01 UTC. */
export const MIN_TIME_MS = 0;
export const MAX_TIME_MS = Date.UTC(2100, 0, 1);

const DATETIME = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:[Zz]|([+-])(\d{2})(?::?(\d{2}))?)?$/;

/**
 * `YYYY-MM-DD HH:MM:SS` (or with `T`) taken as UTC, in epoch ms; a string says why it is not one.
 * Also read: a fraction of a second (kept to the millisecond; digits below it are dropped) and a
 * zone, `Z` or an offset (`+02:00`, `+0200`, `+02`), by which the time is moved to UTC.
 * A well-formed valid time without either is read digit by digit, without the regular expression
 * and the Date; anything else takes the full path, which says what is wrong.
 */
export function parseDatetime(text: string): number | string {
  if (text.length === 19) {
    const sep = text.charCodeAt(10);
    if ((sep === 32 || sep === 84) && text[4] === '-' && text[7] === '-' && text[13] === ':' && text[16] === ':') {
      const ms = utcMillis(digitsAt(text, 0, 4), digitsAt(text, 5, 2), digitsAt(text, 8, 2), digitsAt(text, 11, 2), digitsAt(text, 14, 2), digitsAt(text, 17, 2));
      if (ms >= MIN_TIME_MS && ms < MAX_TIME_MS) return ms;
    }
  }
  return parseDatetimeSlowly(text);
}

/** The full path of {@link parseDatetime}: trims, matches, validates, and says what is wrong. */
function parseDatetimeSlowly(text: string): number | string {
  const match = DATETIME.exec(text.trim());
  if (match === null) return `${JSON.stringify(text.slice(0, 40))} is not a datetime like 2018-05-28 09:03:40`;
  const [y, mo, d, h, mi, s] = match.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const [, , , , , , , fraction, sign, offsetH, offsetM] = match;
  const local = utcMillis(y, mo, d, h, mi, s, fraction === undefined ? 0 : Number(fraction.slice(0, 3).padEnd(3, '0')));
  if (Number.isNaN(local)) return `${JSON.stringify(text)} is not a valid date and time`;
  let offsetMin = 0;
  if (sign !== undefined) {
    const oh = Number(offsetH);
    const om = Number(offsetM ?? '0');
    if (oh > 18 || om > 59) return `${JSON.stringify(text)} has an offset that is not a valid zone (at most ±18:00)`;
    offsetMin = (sign === '-' ? -1 : 1) * (oh * 60 + om);
  }
  const ms = local - offsetMin * 60_000;
  // The range is of the time in UTC (utcMillis takes years as written: 0099 is before 1970).
  if (ms < MIN_TIME_MS || ms >= MAX_TIME_MS) return `${JSON.stringify(text)} is outside 1970-01-01 … 2099-12-31`;
  return ms;
}

/**
 * A function of a name, remembered for the last few thousand names: a file has a handful of regions
 * and datasources, and each row asks for several forms of both.
 */
function rememberedByName<T>(compute: (name: string) => T): (name: string) => T {
  const known = new Map<string, T>();
  return (name) => {
    let value = known.get(name);
    if (value === undefined) {
      if (known.size >= 4096) known.clear();
      value = compute(name);
      known.set(name, value);
    }
    return value;
  };
}

/** The comparison form of a name: trimmed, inner spaces collapsed, NFC, lower case. */
export const nameKey = rememberedByName((name) => name.normalize('NFC').trim().replace(/\s+/g, ' ').toLowerCase());

/** The display form of a name: trimmed, inner spaces collapsed. */
const displayName = rememberedByName((name) => name.normalize('NFC').trim().replace(/\s+/g, ' '));

/** What is wrong with a field, as a schema issue: its column and why. */
interface FieldIssue {
  path: [string];
  message: string;
}

/** The display form of a name field, or what is wrong with it. */
function nameField(value: unknown, column: string, what: string, issues: FieldIssue[]): string {
  if (typeof value !== 'string') {
    issues.push({ path: [column], message: `required: the ${what}` });
    return '';
  }
  const text = displayName(value);
  if (text.length === 0) issues.push({ path: [column], message: `the ${what} is empty` });
  else if (text.length > 200) issues.push({ path: [column], message: `the ${what} is longer than 200 characters` });
  return text;
}

/** A point field (typed by the CSV source), or what is wrong with it. */
function pointField(value: unknown, column: string, issues: FieldIssue[]): Point {
  const p = value as Point;
  if (typeof value !== 'object' || value === null || typeof p.lon !== 'number' || typeof p.lat !== 'number') {
    issues.push({ path: [column], message: 'required: a POINT (lon lat)' });
  }
  return p;
}

/**
 * Validates a CSV record (point columns already typed by the CSV source) into a {@link Trip}: the
 * region and datasource as names (trimmed, inner spaces collapsed, 1 to 200 characters), the two
 * points, the datetime (see {@link parseDatetime}). Every field is checked and each wrong one named,
 * in column order; the datetime is parsed once the fields are all there. One transform by hand
 * rather than a zod object of refinements: it runs for every row of a file, and costs a fraction.
 */
export const tripSchema = z
  .custom<Record<string, unknown>>((value) => typeof value === 'object' && value !== null, { message: 'required: a record of the columns' })
  .transform((row, context): Trip => {
    const issues: FieldIssue[] = [];
    const region = nameField(row.region, 'region', 'region', issues);
    const origin = pointField(row.origin_coord, 'origin_coord', issues);
    const destination = pointField(row.destination_coord, 'destination_coord', issues);
    const datetime = row.datetime;
    if (typeof datetime !== 'string') issues.push({ path: ['datetime'], message: 'required: the datetime' });
    const datasource = nameField(row.datasource, 'datasource', 'datasource', issues);
    const at = issues.length === 0 ? parseDatetime(datetime as string) : 0;
    if (typeof at === 'string') issues.push({ path: ['datetime'], message: at });
    if (issues.length > 0) {
      for (const issue of issues) context.addIssue({ code: 'custom', ...issue });
      return z.NEVER;
    }
    return { region, datasource, origin, destination, at: at as number };
  });

/** A trip received through a broker: the same checks on the JSON form, plus the ingestion it belongs to. */
export const tripMessageSchema = z.object({
  region: z.string().min(1),
  datasource: z.string().min(1),
  origin: z.object({ lon: z.number().min(-180).max(180), lat: z.number().min(-90).max(90) }),
  destination: z.object({ lon: z.number().min(-180).max(180), lat: z.number().min(-90).max(90) }),
  at: z.number().int().min(MIN_TIME_MS).max(MAX_TIME_MS - 1),
  ingestion: z.number().int().nonnegative(),
});
export type TripMessage = z.infer<typeof tripMessageSchema>;

/**
 * A 53-bit hash of a string (cyrb53: two 32-bit multiply-xorshift lanes), a safe integer. Used for
 * trip identity within one millisecond (see README: collisions need two different trips in the
 * same millisecond with equal 53-bit hashes) and for dimension ids.
 */
export function hash53(text: string, seed = 0): number {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

/** The id of a region or datasource: the hash of its comparison form. */
export const nameId = rememberedByName((name) => hash53(nameKey(name), 1));

/** The normalised content of a trip as text: what its identity is the hash of in stores of identity 1. */
export function tripContent(trip: Trip): string {
  return `${nameKey(trip.region)}\u0000${nameKey(trip.datasource)}\u0000${trip.at}\u0000${trip.origin.lon}\u0000${trip.origin.lat}\u0000${trip.destination.lon}\u0000${trip.destination.lat}`;
}

/** The two 32-bit words of a double, through one shared buffer. */
const float = new Float64Array(1);
const floatWords = new Uint32Array(float.buffer);

/** Two MurmurHash3 (x86, 32-bit) lanes of different seeds, fed a word at a time (one thread: module state). */
let lane1 = 0;
let lane2 = 0;

function feedLane(lane: number, word: number): number {
  let k = Math.imul(word, 0xcc9e2d51);
  k = Math.imul((k << 15) | (k >>> 17), 0x1b873593);
  const h = lane ^ k;
  return (Math.imul((h << 13) | (h >>> 19), 5) + 0xe6546b64) | 0;
}

function feed(word: number): void {
  lane1 = feedLane(lane1, word);
  lane2 = feedLane(lane2, word);
}

/** A safe integer (up to 2^53) as two words. */
function feedInteger(value: number): void {
  feed(Math.floor(value / 4294967296));
  feed(value >>> 0);
}

/** A double as its two words, -0 as 0 (one coordinate). */
function feedDouble(value: number): void {
  float[0] = value === 0 ? 0 : value;
  feed(floatWords[0]!);
  feed(floatWords[1]!);
}

function finalLane(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * A trip's id in stores of identity 2: a 53-bit hash of its normalised values, as numbers rather
 * than text: the ids of its region and datasource (hashes of their comparison forms, see
 * {@link nameId}), its time in ms and the bits of its four coordinates (-0 as 0). Equal normalised
 * contents give equal ids, like identity 1, at a fraction of its cost (no number is written as text).
 */
export function valuesId(regionId: number, datasourceId: number, trip: Trip): number {
  lane1 = 0x2f1b8a57;
  lane2 = 0x7e3c9d11;
  feedInteger(regionId);
  feedInteger(datasourceId);
  feedInteger(trip.at);
  feedDouble(trip.origin.lon);
  feedDouble(trip.origin.lat);
  feedDouble(trip.destination.lon);
  feedDouble(trip.destination.lat);
  // Finalised with the length fed, 14 words (56 bytes), as MurmurHash3 does.
  return 4294967296 * (2097151 & finalLane(lane2 ^ 56)) + finalLane(lane1 ^ 56);
}

/**
 * The trip's id: unique with its start time (the table's key is `(started_at, trip_id)`); see
 * {@link TripSettings.identity}. A caller that has the region's and datasource's ids passes them.
 */
export function tripId(trip: Trip, identity = DEFAULT_SETTINGS.identity, regionId = nameId(trip.region), datasourceId = nameId(trip.datasource)): number {
  return identity === 1 ? hash53(tripContent(trip)) : valuesId(regionId, datasourceId, trip);
}

/** The envelope key of a trip through a broker. */
export function tripKey(trip: Trip): string {
  return `${trip.at}:${tripId(trip)}`;
}

/** An H3 cell as its 64-bit index (what a `bigint` column takes). */
export function cellOf(p: Point, resolution: number): bigint {
  return BigInt(`0x${latLngToCell(p.lat, p.lon, resolution)}`);
}

/** The time-of-day bucket of a time: 0 … 1440 / bucketMinutes − 1. */
export function bucketOf(at: number, bucketMinutes: number): number {
  return Math.floor((((at % DAY_MS) + DAY_MS) % DAY_MS) / (bucketMinutes * 60_000));
}

/** The row of the `trips` table of a trip. */
export function tripRow(trip: Trip, ingestion: number, settings: TripSettings): Record<string, unknown> {
  const regionId = nameId(trip.region);
  const datasourceId = nameId(trip.datasource);
  return {
    started_at: trip.at,
    trip_id: tripId(trip, settings.identity, regionId, datasourceId),
    region_id: regionId,
    datasource_id: datasourceId,
    origin_lon: trip.origin.lon,
    origin_lat: trip.origin.lat,
    destination_lon: trip.destination.lon,
    destination_lat: trip.destination.lat,
    origin_cell: cellOf(trip.origin, settings.areaResolution),
    destination_cell: cellOf(trip.destination, settings.areaResolution),
    bucket: bucketOf(trip.at, settings.bucketMinutes),
    week: mondayOf(trip.at),
    ingestion,
  };
}
