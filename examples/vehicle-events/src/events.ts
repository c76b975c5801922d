/**
 * The events of the lake and their checks, pure. One line of a lake file is
 * `{"event","on","at","data",“organization_id”}`; `checkEvent` turns its parsed JSON into a typed
 * event with times as epoch milliseconds, or says in words why it cannot be one (the reason its
 * dead letter carries). Hand-written rather than a zod schema: it runs ten million times in the
 * benchmark, and its messages name the field the way the lake spells it.
 */
import { digitsAt, utcMillis } from '@sluice/core';

/** Every event type of the API. */
export const EVENT_TYPES = ['create', 'update', 'register', 'deregister', 'delete'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** Every entity an event can be on. */
export const ENTITIES = ['vehicle', 'operating_period'] as const;
export type Entity = (typeof ENTITIES)[number];

/** The event types that apply to an operating period (`register`/`deregister` are for vehicles). */
export const PERIOD_EVENT_TYPES: readonly EventType[] = ['create', 'update', 'delete'];

/** A GPS fix: degrees and epoch milliseconds. */
export interface Fix {
  lat: number;
  lng: number;
  at: number;
}

/** An event on a vehicle; `location` is required for `update` and optional otherwise. */
export interface VehicleEvent {
  on: 'vehicle';
  event: EventType;
  /** When the API emitted the event, epoch ms. */
  at: number;
  organizationId: string;
  vehicleId: string;
  location: Fix | undefined;
}

/** An event on an operating period; `start`/`finish` are required for `create` and `update`. */
export interface PeriodEvent {
  on: 'operating_period';
  event: 'create' | 'update' | 'delete';
  at: number;
  organizationId: string;
  periodId: string;
  start: number | undefined;
  finish: number | undefined;
}

export type LakeEvent = VehicleEvent | PeriodEvent;

/** ISO 8601 date and time with a zone (`Z` or `±hh:mm`), as the API writes them. */
const ISO_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})$/;

/** Whether the fields of an `ISO_TIME` match name a real time (`Date.parse` takes 2019-02-30 as March 2). */
function realTime(m: RegExpExecArray): boolean {
  const [year, month, day, hour, minute, second] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i] ?? 0)) as [number, number, number, number, number, number];
  const days = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return month >= 1 && month <= 12 && day >= 1 && day <= days && hour <= 23 && minute <= 59 && second <= 59;
}

/** Thrown inside `checkEvent` with the reason; never leaves it. */
class Invalid {
  constructor(readonly reason: string) {}
}

const shown = (value: unknown): string => {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
};

function object(value: unknown, field: string): Record<string, unknown> {
  if (value === undefined || value === null) throw new Invalid(`missing field ${field}`);
  if (typeof value !== 'object' || Array.isArray(value)) throw new Invalid(`${field} must be an object, got ${shown(value)}`);
  return value as Record<string, unknown>;
}

function text(value: unknown, field: string): string {
  if (value === undefined || value === null || value === '') throw new Invalid(`missing field ${field}`);
  if (typeof value !== 'string') throw new Invalid(`${field} must be a string, got ${shown(value)}`);
  // PostgreSQL text cannot hold U+0000; refused here, as bad input, rather than by the store.
  if (value.includes('\u0000')) throw new Invalid(`${field} contains a NUL character (U+0000)`);
  return value;
}

/**
 * Epoch milliseconds of `YYYY-MM-DDTHH:MM:SS.sssZ` (the only form the API writes: every event has
 * one or two), NaN for a string of that shape that names no real time, undefined for any other
 * shape. Gives what `Date.parse` gives, without its generic parser; the other ISO forms
 * (`ISO_TIME`) go through the regular expression and `Date.parse`.
 */
export function parseUtcMillis(s: string): number | undefined {
  if (s.length !== 24 || s.charCodeAt(23) !== 90 /* Z */ || s.charCodeAt(10) !== 84 /* T */) return undefined;
  if (s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45 || s.charCodeAt(13) !== 58 || s.charCodeAt(16) !== 58 || s.charCodeAt(19) !== 46) return undefined;
  const year = digitsAt(s, 0, 4);
  const month = digitsAt(s, 5, 2);
  const day = digitsAt(s, 8, 2);
  const hour = digitsAt(s, 11, 2);
  const minute = digitsAt(s, 14, 2);
  const second = digitsAt(s, 17, 2);
  const milli = digitsAt(s, 20, 3);
  return utcMillis(year, month, day, hour, minute, second, milli);
}

function time(value: unknown, field: string): number {
  const given = text(value, field);
  let ms = parseUtcMillis(given);
  if (ms === undefined) {
    const match = ISO_TIME.exec(given);
    ms = match !== null && realTime(match) ? Date.parse(given) : Number.NaN;
  }
  if (!Number.isFinite(ms)) throw new Invalid(`unparseable time ${field}: ${shown(given)} (expected ISO 8601 with a zone, e.g. 2019-06-01T18:17:10.101Z)`);
  return ms;
}

function coordinate(value: unknown, field: string, limit: number): number {
  if (value === undefined || value === null) throw new Invalid(`missing field ${field}`);
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new Invalid(`${field} must be a number, got ${shown(value)}`);
  if (value < -limit || value > limit) throw new Invalid(`coordinates out of range: ${field} ${value} (allowed -${limit} to ${limit})`);
  return value;
}

function fix(value: unknown): Fix {
  const location = object(value, 'data.location');
  return {
    lat: coordinate(location.lat, 'data.location.lat', 90),
    lng: coordinate(location.lng, 'data.location.lng', 180),
    at: time(location.at, 'data.location.at'),
  };
}

function oneOf<T extends string>(value: unknown, field: string, what: string, allowed: readonly T[]): T {
  const given = text(value, field);
  if (!(allowed as readonly string[]).includes(given)) throw new Invalid(`unknown ${what} ${shown(given)}: expected one of ${allowed.join(', ')}`);
  return given as T;
}

function check(value: unknown): LakeEvent {
  const line = object(value, 'the line (a JSON object)');
  const event = oneOf(line.event, 'event', 'event', EVENT_TYPES);
  const on = oneOf(line.on, 'on', 'entity', ENTITIES);
  const at = time(line.at, 'at');
  const organizationId = text(line.organization_id, 'organization_id');
  const data = object(line.data, 'data');
  if (on === 'vehicle') {
    const vehicleId = text(data.id, 'data.id');
    const location = data.location === undefined && event !== 'update' ? undefined : fix(data.location);
    return { on, event, at, organizationId, vehicleId, location };
  }
  if (!PERIOD_EVENT_TYPES.includes(event)) {
    throw new Invalid(`event ${shown(event)} does not apply to an operating_period: expected one of ${PERIOD_EVENT_TYPES.join(', ')}`);
  }
  const periodId = text(data.id, 'data.id');
  const bounds = event !== 'delete' || data.start !== undefined || data.finish !== undefined;
  const start = bounds ? time(data.start, 'data.start') : undefined;
  const finish = bounds ? time(data.finish, 'data.finish') : undefined;
  if (start !== undefined && finish !== undefined && finish < start) {
    throw new Invalid(`data.finish ${shown(data.finish)} is before data.start ${shown(data.start)}`);
  }
  return { on, event: event as PeriodEvent['event'], at, organizationId, periodId, start, finish };
}

/** The typed event of a parsed line, or the reason it is not one (for its dead letter). */
export function checkEvent(value: unknown): LakeEvent | string {
  try {
    return check(value);
  } catch (error) {
    if (error instanceof Invalid) return error.reason;
    throw error;
  }
}
