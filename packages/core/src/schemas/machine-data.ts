/**
 * Schemas of the machine-data files: `metrics.json` ({id, val, time}) and `workorder.json`
 * ({time, product, production}). Ids are kept as given: a number stays a number, a string a string.
 *
 * Field limits, so one record cannot be larger than what every store can index or lie outside
 * the data's era: a string id has at most {@link MAX_ID_CHARS} characters (at most 1 KiB of UTF-8,
 * well under PostgreSQL's ~2.7 kB B-tree row limit), and a time lies from 1970-01-01 (inclusive)
 * to 2100-01-01 (exclusive), UTC — {@link MIN_TIME_MS} to {@link MAX_TIME_MS}.
 */
import { z } from 'zod';
import { withFastPath } from './fast-path.js';

/** Most characters of a string id. */
export const MAX_ID_CHARS = 256;

/**
 * A parameter or product id, number or string, kept as given. An integer beyond 2^53 has already
 * lost digits in JSON.parse (two ids could merge into one), so it is refused: send it as a string.
 * A string id has 1 to {@link MAX_ID_CHARS} characters.
 */
export const idSchema = z.union(
  [
    z
      .number()
      .finite()
      .refine((n) => !Number.isInteger(n) || Number.isSafeInteger(n), 'integer id beyond 2^53 loses digits; send it as a string'),
    z.string().min(1).max(MAX_ID_CHARS, `a string id has at most ${MAX_ID_CHARS} characters`),
  ],
  { error: 'expected a number or a non-empty string' },
);

/** Largest distance from the epoch a JavaScript Date can hold, in ms (±273,790 years). */
export const MAX_EPOCH_MS = 8.64e15;

/** Earliest time a record may have: 1970-01-01T00:00:00Z (epoch ms 0). */
export const MIN_TIME_MS = 0;
/** First time a record may no longer have: 2100-01-01T00:00:00Z. */
export const MAX_TIME_MS = Date.UTC(2100, 0, 1);

/** A value cut to a readable length for messages. */
function shown(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}

/**
 * Numbers below this are epoch seconds, at or above it epoch milliseconds: 1e11 ms is March 1973,
 * 1e11 s is the year 5138, so no real machine timestamp is ambiguous.
 */
export const EPOCH_SECONDS_BELOW = 1e11;

/** Epoch milliseconds of a numeric timestamp given in epoch seconds or milliseconds. */
export function epochMillis(value: number): number {
  return Math.abs(value) < EPOCH_SECONDS_BELOW ? value * 1000 : value;
}

/**
 * Epoch milliseconds of a time given as text or a number (see {@link timeSchema}), or why it is
 * not a valid time. Pure; the schema and its fast path share it.
 */
function millisOf(value: string | number): number | { message: string } {
  const numeric = typeof value === 'number' ? value : /^-?\d+(\.\d+)?$/.test(value.trim()) ? Number(value) : undefined;
  const ms = numeric !== undefined ? epochMillis(numeric) : Date.parse(value as string);
  if (!Number.isFinite(ms) || Math.abs(ms) > MAX_EPOCH_MS) return { message: `not a valid time: ${shown(value)} (use ISO-8601, or epoch seconds or milliseconds)` };
  if (ms < MIN_TIME_MS || ms >= MAX_TIME_MS) return { message: `time out of range: ${shown(value)} is not from 1970-01-01 to before 2100-01-01 (UTC)` };
  return ms;
}

/**
 * A timestamp: ISO-8601 text, or epoch seconds or milliseconds as a number or a digit string
 * (the unit is told by magnitude, see `EPOCH_SECONDS_BELOW`); normalised to epoch milliseconds.
 */
export const timeSchema = z.union([z.string().min(1), z.number().finite()]).transform((value, ctx) => {
  const ms = millisOf(value);
  if (typeof ms === 'number') return ms;
  ctx.addIssue({ code: 'custom', message: ms.message });
  return z.NEVER;
});

/** A new zod object schema of a metric sample (each call a new object: `withFastPath` patches one). */
const metricObject = () => z.object({ id: idSchema, val: z.number().finite(), time: timeSchema });
/** A new zod object schema of a work-order reading. */
const workorderObject = () => z.object({ time: timeSchema, product: idSchema, production: z.number().finite() });

/** {@link metricSchema} without its fast path: zod alone (what the fast path is tested against). */
export const plainMetricSchema = metricObject();
/** {@link workorderSchema} without its fast path. */
export const plainWorkorderSchema = workorderObject();

/** A record as JSON.parse makes it: a plain object (anything else is left to zod). */
function isPlainRecord(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/** Whether zod's {@link idSchema} accepts the value (it returns it unchanged). */
function isId(value: unknown): boolean {
  if (typeof value === 'number') return Number.isFinite(value) && (!Number.isInteger(value) || Number.isSafeInteger(value));
  return typeof value === 'string' && value.length >= 1 && value.length <= MAX_ID_CHARS;
}

/** {@link timeSchema}'s output for a value it accepts, else undefined. */
function timeOf(value: unknown): number | undefined {
  if (!(typeof value === 'number' ? Number.isFinite(value) : typeof value === 'string' && value.length > 0)) return undefined;
  const ms = millisOf(value as string | number);
  return typeof ms === 'number' ? ms : undefined;
}

/** One sample of a machine parameter (with a fast path for valid records, see `withFastPath`). */
export const metricSchema = withFastPath(metricObject(), (value) => {
  if (!isPlainRecord(value) || !isId(value.id) || typeof value.val !== 'number' || !Number.isFinite(value.val)) return undefined;
  const time = timeOf(value.time);
  return time === undefined ? undefined : { id: value.id as number | string, val: value.val, time };
});

/** One reading of a product's cumulative production counter (with a fast path, see `withFastPath`). */
export const workorderSchema = withFastPath(workorderObject(), (value) => {
  if (!isPlainRecord(value) || !isId(value.product) || typeof value.production !== 'number' || !Number.isFinite(value.production)) return undefined;
  const time = timeOf(value.time);
  return time === undefined ? undefined : { time, product: value.product as number | string, production: value.production };
});

/** A validated metric sample (time in epoch ms). */
export type Metric = z.output<typeof metricSchema>;
/** A validated work-order reading (time in epoch ms). */
export type Workorder = z.output<typeof workorderSchema>;

/**
 * Natural key of a metric sample: one value per parameter and time. Ids are JSON-encoded so the
 * number 7 and the string "7" stay different parameters.
 */
export const metricKey = (m: Metric): string => `metric:${JSON.stringify(m.id)}:${m.time}`;
/** Natural key of a work-order reading: one reading per product and time (ids JSON-encoded). */
export const workorderKey = (w: Workorder): string => `workorder:${JSON.stringify(w.product)}:${w.time}`;
