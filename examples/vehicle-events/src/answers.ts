/**
 * The answer to "what is the average distance travelled by our vehicles during an operating
 * period?", in the shape `report --json` prints and the generator's ground truth is written in,
 * and the query that reads it from the warehouse views.
 */
import type { Store } from '@sluice/core';

/** One operating period and the mean distance of its vehicles. */
export interface PeriodAnswer {
  id: string;
  /** ISO 8601 (UTC, milliseconds). */
  start: string;
  finish: string;
  /** Vehicles of the period's organisation with at least two positions inside it. */
  vehicles: number;
  /** Mean of their distances in km; null when the period has no such vehicle. */
  averageDistanceKm: number | null;
}

/** Every operating period (by start, then id) and the mean over all (period, vehicle) pairs. */
export interface Answers {
  operatingPeriods: PeriodAnswer[];
  /** Null when no period has a vehicle. */
  overallAverageKm: number | null;
}

/** Orders periods by start, then id (code-unit order, so the same on every engine). */
export function byStartThenId(a: PeriodAnswer, b: PeriodAnswer): number {
  return a.start < b.start ? -1 : a.start > b.start ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** The overall mean from per-period means and counts (the mean over all pairs). */
export function overallMean(periods: readonly PeriodAnswer[]): number | null {
  let pairs = 0;
  let sum = 0;
  for (const p of periods) {
    if (p.averageDistanceKm === null || p.vehicles === 0) continue;
    pairs += p.vehicles;
    sum += p.averageDistanceKm * p.vehicles;
  }
  return pairs === 0 ? null : sum / pairs;
}

/** A time from either engine (SQLite: epoch ms; PostgreSQL: a Date) as ISO 8601. */
export function isoTime(value: unknown): string {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'number' || typeof value === 'string') return new Date(Number(value)).toISOString();
  throw new TypeError(`expected a time from the warehouse, got ${String(value)}`);
}

interface AverageRow extends Record<string, unknown> {
  id: string;
  start: unknown;
  finish: unknown;
  vehicles: number | string;
  average_distance_km: number | string | null;
}

/**
 * Reads the answers from the `period_averages` view: one row per operating period, so memory is
 * proportional to the number of periods, whatever the number of positions.
 */
export async function readAnswers(store: Store): Promise<Answers> {
  const rows = await store.query<AverageRow>('SELECT id, start, finish, vehicles, average_distance_km FROM period_averages');
  const operatingPeriods = rows
    .map((row) => ({
      id: row.id,
      start: isoTime(row.start),
      finish: isoTime(row.finish),
      vehicles: Number(row.vehicles),
      averageDistanceKm: row.average_distance_km === null ? null : Number(row.average_distance_km),
    }))
    .sort(byStartThenId);
  return { operatingPeriods, overallAverageKm: overallMean(operatingPeriods) };
}
