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
import type { Fix, LakeEvent, PeriodEvent } from './events.js';

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

/** A set of (a, b) pairs of strings, without building a key string per lookup. */
export class PairSet {
  private readonly pairs = new Map<string, Set<string>>();
  has(a: string, b: string): boolean {
    return this.pairs.get(a)?.has(b) === true;
  }
  add(a: string, b: string): void {
    let second = this.pairs.get(a);
    if (second === undefined) this.pairs.set(a, (second = new Set()));
    second.add(b);
  }
  /** Adds every pair of `other`. */
  addAll(other: PairSet): void {
    for (const [a, second] of other.pairs) for (const b of second) this.add(a, b);
  }
}

/**
 * Keys of small-table rows (organisations, vehicles, lifecycle and period events) already
 * committed by this run, so a batch sends only the new ones: almost every batch then writes its
 * positions alone, in one transaction. Bounded by the number of entities, not of positions.
 * Organisations and vehicles, named by every event, are looked up without building a key string.
 */
export class KnownKeys {
  /** Organisation ids. */
  readonly organisations = new Set<string>();
  /** (vehicle id, organisation id). */
  readonly vehicles = new PairSet();
  /** (table, content key) of lifecycle and period events: rare, so keyed by text. */
  readonly events = new PairSet();
  /** Records keys once the rows they stand for are committed. */
  addAll(keys: KnownKeys): void {
    for (const org of keys.organisations) this.organisations.add(org);
    this.vehicles.addAll(keys.vehicles);
    this.events.addAll(keys.events);
  }
}

/** The positions of one vehicle in a batch, and where to find one by its time. */
interface VehiclePositions {
  rows: Row[];
  /** location.at → the first row with it. */
  byAt: Map<number, Row>;
  /** Whether `rows` is in time order (it is unless a late position came). */
  ordered: boolean;
}

/**
 * The positions of one batch without repeats of the same (vehicle, at, lat, lng), handed to the
 * store grouped by vehicle, each vehicle's in time order.
 *
 * - Without repeats: a re-delivered event is one row, so the store's merge finds no two rows of
 *   one key in the batch (which would make it key every row as text to keep the last one).
 *   Indexed by vehicle, then time, with no string built per row; two positions of the same
 *   (vehicle, at) with different coordinates, which the API never sends, are told apart through a
 *   set of their keys as text.
 * - Grouped by vehicle: the lines of a file interleave every vehicle, but the positions table is
 *   keyed by vehicle first, so rows in arrival order insert all over the key's b-tree, a page of
 *   every vehicle per statement. Grouped, each statement appends to the ranges of a few vehicles,
 *   one page after the other: SQLite's part of a load fell by 40 % and PostgreSQL's by 15 % (a
 *   million lines, 106 vehicles). Sorting costs little: a vehicle's positions mostly come in time
 *   order already.
 */
class BatchPositions {
  private readonly byVehicle = new Map<string, VehiclePositions>();
  /** Keys of positions that share (vehicle, at) with an earlier one of other coordinates. */
  private readonly others = new Set<string>();

  add(vehicleId: string, fix: Fix): void {
    let vehicle = this.byVehicle.get(vehicleId);
    if (vehicle === undefined) this.byVehicle.set(vehicleId, (vehicle = { rows: [], byAt: new Map(), ordered: true }));
    const first = vehicle.byAt.get(fix.at);
    if (first !== undefined) {
      if (first.lat === fix.lat && first.lng === fix.lng) return;
      const key = `${vehicleId}\u0000${fix.at}\u0000${fix.lat}\u0000${fix.lng}`;
      if (this.others.has(key)) return;
      this.others.add(key);
    }
    const row: Row = { vehicle_id: vehicleId, at: fix.at, lat: fix.lat, lng: fix.lng };
    if (first === undefined) vehicle.byAt.set(fix.at, row);
    const previous = vehicle.rows[vehicle.rows.length - 1];
    if (previous !== undefined && (previous.at as number) > fix.at) vehicle.ordered = false;
    vehicle.rows.push(row);
  }

  /** Every row, vehicle by vehicle, each vehicle's in time order. */
  rows(): Row[] {
    const rows: Row[] = [];
    for (const vehicle of this.byVehicle.values()) {
      if (!vehicle.ordered) vehicle.rows.sort((a, b) => (a.at as number) - (b.at as number));
      for (const row of vehicle.rows) rows.push(row);
    }
    return rows;
  }
}

/** The rows of one batch of events, table by table, leaving out repeats and rows of keys already known. */
export class FactRows {
  readonly organisations: Row[] = [];
  readonly vehicles: Row[] = [];
  readonly vehicleEvents: Row[] = [];
  readonly periodEvents: Row[] = [];
  private readonly batchPositions = new BatchPositions();
  /** Keys of the small-table rows of this batch: known once the batch is committed. */
  readonly newKeys = new KnownKeys();

  constructor(private readonly known: KnownKeys = new KnownKeys()) {}

  /** The positions of the batch, each (vehicle, at, lat, lng) once, vehicle by vehicle in time order. */
  positions(): Row[] {
    return this.batchPositions.rows();
  }

  /** Adds the row of an event (`table` names its kind) unless its key was added already, in this batch or before. */
  private event(rows: Row[], table: string, key: string, row: () => Row): void {
    if (this.newKeys.events.has(table, key) || this.known.events.has(table, key)) return;
    this.newKeys.events.add(table, key);
    rows.push(row());
  }

  add(event: LakeEvent): void {
    const org = event.organizationId;
    if (!this.newKeys.organisations.has(org) && !this.known.organisations.has(org)) {
      this.newKeys.organisations.add(org);
      this.organisations.push({ id: org });
    }
    if (event.on === 'operating_period') {
      const key = periodEventKey(event);
      this.event(this.periodEvents, FACT_TABLES.periodEvents, `${event.periodId}\u0000${key}`, () => ({
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
    if (!this.newKeys.vehicles.has(id, org) && !this.known.vehicles.has(id, org)) {
      this.newKeys.vehicles.add(id, org);
      this.vehicles.push({ id, organization_id: org });
    }
    if (event.event !== 'update') {
      this.event(this.vehicleEvents, FACT_TABLES.vehicleEvents, `${id}\u0000${event.event}\u0000${event.at}`, () => ({ vehicle_id: id, event: event.event, at: event.at }));
    }
    if (event.location !== undefined) this.batchPositions.add(id, event.location);
  }
}
