/**
 * The sensor-log generator: one file per minute, each with one row per sensor slot (1,914 rows
 * from 1,876 distinct sensors in 100 departments), deterministic for a seed. The plan (departments,
 * sensors, slots, products) is drawn once from the seed; each file's random draws come from the
 * seed and its minute alone, so any range of minutes gives the same files as the whole month.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createSeededRandom, type SeededRandom, type StatusReporter } from '@sluice/core';
import { parquetWriteBuffer } from 'hyparquet-writer';

/** Shape of the data, as the issue fixes it. */
export const SHAPE = { departments: 100, minSlots: 5, maxSlots: 29, slots: 1914, sensors: 1876, products: 1000 } as const;
/** Sensors a department draws its slots from (the first this many not yet taken). */
const DRAW_WINDOW = 450;
const MINUTE_MS = 60_000;
const DAY_S = 86_400;

/** The columns of every file, in order. */
export const COLUMNS = ['department_name', 'sensor_serial', 'create_at', 'product_name', 'product_expire'] as const;

/** What every file of a seed shares. */
export interface SensorPlan {
  departments: string[];
  /** One entry per slot (row of a file): the department index and the sensor serial. */
  slots: { department: number; sensor: string }[];
  products: string[];
}

/** One generated row, timestamps in epoch ms. */
export interface SensorRow {
  department_name: string;
  sensor_serial: string;
  create_at: number;
  product_name: string;
  product_expire: number;
}

function letters(random: SeededRandom, length: number): string {
  let text = '';
  for (let i = 0; i < length; i++) text += String.fromCharCode(97 + random.int(26));
  return text;
}

/** Distinct random names of `length` lowercase letters. */
function names(random: SeededRandom, count: number, length: number, taken = new Set<string>()): string[] {
  const out: string[] = [];
  while (out.length < count) {
    const name = letters(random, length);
    if (taken.has(name)) continue;
    taken.add(name);
    out.push(name);
  }
  return out;
}

/**
 * The plan of a seed. Each department draws 5 to 29 slots with replacement from the first
 * {@link DRAW_WINDOW} sensors no earlier department took; the slot counts are then nudged (within
 * 5..29) to total exactly 1,914, and single slots re-pointed so that exactly 1,876 sensors are
 * distinct, as in the reference data. Deterministic for the seed.
 */
export function sensorPlan(seed: number): SensorPlan {
  const random = createSeededRandom(seed);
  const departments = names(random, SHAPE.departments, 32);
  const counts = departments.map(() => SHAPE.minSlots + random.int(SHAPE.maxSlots - SHAPE.minSlots + 1));
  let total = counts.reduce((a, b) => a + b, 0);
  while (total !== SHAPE.slots) {
    const i = random.int(counts.length);
    const step = total < SHAPE.slots ? 1 : -1;
    const next = counts[i]! + step;
    if (next < SHAPE.minSlots || next > SHAPE.maxSlots) continue;
    counts[i] = next;
    total += step;
  }
  const serials = new Set<string>();
  const fresh = () => names(random, 1, 64, serials)[0]!;
  const available: string[] = [];
  const perDepartment: string[][] = counts.map((count) => {
    while (available.length < DRAW_WINDOW) available.push(fresh());
    const drawn = Array.from({ length: count }, () => available[random.int(DRAW_WINDOW)]!);
    const took = new Set(drawn);
    for (let i = available.length - 1; i >= 0; i--) if (took.has(available[i]!)) available.splice(i, 1);
    return drawn;
  });
  // Exactly SHAPE.sensors distinct: re-point a slot of a repeated sensor to a fresh one, or a lone slot to its department's other sensor.
  const distinct = () => new Set(perDepartment.flat()).size;
  let have = distinct();
  while (have !== SHAPE.sensors) {
    const d = perDepartment[random.int(perDepartment.length)]!;
    const seen = new Map<string, number>();
    for (const s of d) seen.set(s, (seen.get(s) ?? 0) + 1);
    const i = random.int(d.length);
    if (have < SHAPE.sensors && seen.get(d[i]!)! > 1) {
      d[i] = fresh();
      have++;
    } else if (have > SHAPE.sensors && seen.get(d[i]!) === 1 && seen.size > 1) {
      const others = d.filter((s) => s !== d[i]);
      d[i] = others[random.int(others.length)]!;
      have--;
    }
  }
  const slots = perDepartment.flatMap((sensors, department) => sensors.map((sensor) => ({ department, sensor })));
  const products = names(random, SHAPE.products, 16);
  return { departments, slots, products };
}

/** The file name of a minute, as the reference generator names them: `2023-01-01 00:00:00`. */
export function minuteName(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

/** A seed for one minute's draws, from the run's seed and the minute. */
function minuteSeed(seed: number, ms: number): number {
  return (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.floor(ms / MINUTE_MS)) >>> 0;
}

/** The rows of one minute's file. Product expiry: create_at plus 87 to 89 days, whole seconds. */
export function minuteRows(plan: SensorPlan, seed: number, ms: number): SensorRow[] {
  const random = createSeededRandom(minuteSeed(seed, ms));
  return plan.slots.map((slot) => ({
    department_name: plan.departments[slot.department]!,
    sensor_serial: slot.sensor,
    create_at: ms,
    product_name: plan.products[random.int(plan.products.length)]!,
    product_expire: ms + (87 * DAY_S + random.int(2 * DAY_S + 1)) * 1000,
  }));
}

const NANOS_PER_MS = 1_000_000n;

/** One minute's rows as Parquet: strings dictionary-encoded, timestamps INT64 nanoseconds (as the reference files). */
export function parquetBytes(rows: readonly SensorRow[]): Uint8Array {
  const ns = (key: 'create_at' | 'product_expire') => {
    const out = new BigInt64Array(rows.length);
    for (let i = 0; i < rows.length; i++) out[i] = BigInt(rows[i]![key]) * NANOS_PER_MS;
    return out;
  };
  const text = (key: 'department_name' | 'sensor_serial' | 'product_name') => rows.map((row) => row[key]);
  const timestamp = { type: 'TIMESTAMP', isAdjustedToUTC: false, unit: 'NANOS' } as const;
  return new Uint8Array(
    parquetWriteBuffer({
      rowGroupSize: Math.max(rows.length, 1),
      // Statistics and a dictionary for the all-distinct serials cost two thirds of the write time and save nothing here.
      statistics: false,
      columnData: [
        { name: 'department_name', data: text('department_name'), nullable: false },
        { name: 'sensor_serial', data: text('sensor_serial'), nullable: false, encoding: 'PLAIN' },
        { name: 'create_at', data: ns('create_at'), nullable: false },
        { name: 'product_name', data: text('product_name'), nullable: false },
        { name: 'product_expire', data: ns('product_expire'), nullable: false },
      ],
      schema: [
        { name: 'root', num_children: 5 },
        { name: 'department_name', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' },
        { name: 'sensor_serial', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' },
        { name: 'create_at', type: 'INT64', logical_type: timestamp, repetition_type: 'REQUIRED' },
        { name: 'product_name', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' },
        { name: 'product_expire', type: 'INT64', logical_type: timestamp, repetition_type: 'REQUIRED' },
      ],
    }),
  );
}

/** A timestamp as CSV text: ISO 8601 UTC with milliseconds. */
function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}

/** One minute's rows as CSV with a header (names are lowercase letters: nothing to quote). */
export function csvText(rows: readonly SensorRow[]): string {
  const lines = [COLUMNS.join(',')];
  for (const r of rows) lines.push(`${r.department_name},${r.sensor_serial},${isoTime(r.create_at)},${r.product_name},${isoTime(r.product_expire)}`);
  return `${lines.join('\n')}\n`;
}

/** Options of {@link generate}. */
export interface GenerateOptions {
  out: string;
  /** First minute (epoch ms, on a minute). */
  from: number;
  /** Last minute, inclusive. */
  to: number;
  format: 'parquet' | 'csv';
  seed: number;
  /** Progress: one `read` (and `persisted`) per file's rows. */
  reporter?: StatusReporter;
  /** Files written at once (default 4). */
  concurrency?: number;
}

/** Minutes from `from` to `to` inclusive. */
export function minutes(from: number, to: number): number {
  return to < from ? 0 : Math.floor((to - from) / MINUTE_MS) + 1;
}

/**
 * Writes one file per minute into `out`. Memory: one file's rows per file in flight. Each file is
 * written under a dot-name and renamed, so a loader (or a watching source) never sees half a file.
 */
export async function generate(options: GenerateOptions): Promise<{ files: number; rows: number }> {
  await mkdir(options.out, { recursive: true });
  const plan = sensorPlan(options.seed);
  const count = minutes(options.from, options.to);
  const extension = options.format === 'csv' ? 'csv' : 'parquet';
  let next = 0;
  let rows = 0;
  const tag = randomBytes(4).toString('hex');
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= count) return;
      const ms = options.from + i * MINUTE_MS;
      const fileRows = minuteRows(plan, options.seed, ms);
      const name = `${minuteName(ms)}.${extension}`;
      const temporary = join(options.out, `.${name}.${tag}.tmp`);
      await writeFile(temporary, options.format === 'csv' ? csvText(fileRows) : parquetBytes(fileRows));
      await rename(temporary, join(options.out, name));
      rows += fileRows.length;
      options.reporter?.read(fileRows.length);
      options.reporter?.persisted(fileRows.length);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency ?? 4 }, worker));
  return { files: count, rows };
}
