/**
 * Events → rows of the fact tables, pure. The rules (the README's "Transform rules" say the same):
 *
 * - every event names its organisation: a row of `organisations`;
 * - every vehicle event names its vehicle and organisation: a row of `vehicles`;
 * - `create`, `register`, `deregister` and `delete` of a vehicle: a row of `vehicle_events`
 *   (`update` is only a position);
 * - every vehicle event with a location: a row of `positions` keyed by (vehicle, location.at,
 *   lat, lng), whatever the event type and whenever it arrived;
 * - every event of an operating period: a row of `operating_period_events`, keyed by the period
 *   and the event's whole content, so a duplicate is the same row and two differing events are two.
 *
 * Nothing here compares an event with another: which one wins is decided by the views, from the
 * events' own times, never by the order they were loaded in.
 */
import type { Row } from '@sluice/core';
import type { LakeEvent, PeriodEvent } from './events.js';

/** The fact tables, by role. */
export const FACT_TABLES = {
  organisations: 'organisations',
  vehicles: 'vehicles',
  vehicleEvents: 'vehicle_events',
  periodEvents: 'operating_period_events',
  positions: 'positions',
} as const;

/** The views the migrations create. */
export const VIEWS = ['operating_periods', 'vehicle_service_intervals', 'period_vehicle_distances', 'period_averages'] as const;

/** The content of a period event as text: its identity among the period's events. */
export function periodEventKey(event: PeriodEvent): string {
  const time = (ms: number | undefined) => (ms === undefined ? '' : new Date(ms).toISOString());
  return [event.event, time(event.at), event.organizationId, time(event.start), time(event.finish)].join('|');
}

/**
 * Keys of small-table rows (organisations, vehicles, lifecycle and period events) already
 * committed by this run, so a batch sends only the new ones: almost every batch then writes its
 * positions alone, in one transaction. Bounded by the number of entities, not of positions.
 */
export class KnownKeys {
  private readonly keys = new Set<string>();
  has(key: string): boolean {
    return this.keys.has(key);
  }
  /** Records keys once the rows they stand for are committed. */
  addAll(keys: Iterable<string>): void {
    for (const key of keys) this.keys.add(key);
  }
}

/** The rows of one batch of events, table by table, leaving out repeats and rows of keys already known. */
export class FactRows {
  readonly organisations: Row[] = [];
  readonly vehicles: Row[] = [];
  readonly vehicleEvents: Row[] = [];
  readonly periodEvents: Row[] = [];
  readonly positions: Row[] = [];
  /** Keys of the small-table rows of this batch: known once the batch is committed. */
  readonly newKeys = new Set<string>();

  constructor(private readonly known: KnownKeys = new KnownKeys()) {}

  /** Adds `row` to `rows` unless the same key was added already, in this batch or before. */
  private once(rows: Row[], key: string, row: () => Row): void {
    if (this.newKeys.has(key) || this.known.has(key)) return;
    this.newKeys.add(key);
    rows.push(row());
  }

  add(event: LakeEvent): void {
    const org = event.organizationId;
    this.once(this.organisations, `o\u0000${org}`, () => ({ id: org }));
    if (event.on === 'operating_period') {
      const key = periodEventKey(event);
      this.once(this.periodEvents, `p\u0000${event.periodId}\u0000${key}`, () => ({
        period_id: event.periodId,
        event_key: key,
        event: event.event,
        at: event.at,
        organization_id: org,
        start: event.start ?? null,
        finish: event.finish ?? null,
      }));
      return;
    }
    const id = event.vehicleId;
    this.once(this.vehicles, `v\u0000${id}\u0000${org}`, () => ({ id, organization_id: org }));
    if (event.event !== 'update') {
      this.once(this.vehicleEvents, `e\u0000${id}\u0000${event.event}\u0000${event.at}`, () => ({ vehicle_id: id, event: event.event, at: event.at }));
    }
    const fix = event.location;
    // Positions are most of the rows: repeats within a batch are rare, and the store merges them.
    if (fix !== undefined) this.positions.push({ vehicle_id: id, at: fix.at, lat: fix.lat, lng: fix.lng });
  }
}
