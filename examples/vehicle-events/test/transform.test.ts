/**
 * The pure parts of the hot path: event times parsed without `Date.parse`, and a batch's rows
 * (repeats left out, positions grouped by vehicle in time order, keys known from earlier batches
 * not sent again).
 */
import { createSeededRandom } from '@sluice/core';
import { describe, expect, it } from 'vitest';
import { checkEvent, parseUtcMillis, type LakeEvent, type VehicleEvent } from '../src/events.js';
import { FactRows, KnownKeys } from '../src/transform.js';

const pad = (n: number, width: number) => String(n).padStart(width, '0');

describe('parseUtcMillis', () => {
  it('gives what Date.parse gives for every real time of the form YYYY-MM-DDTHH:MM:SS.sssZ', () => {
    const rng = createSeededRandom(11);
    const samples = ['2019-06-01T18:17:10.101Z', '2020-02-29T23:59:59.999Z', '2000-02-29T00:00:00.000Z', '1970-01-01T00:00:00.000Z', '1969-12-31T23:59:59.999Z', '0000-01-01T00:00:00.000Z', '9999-12-31T23:59:59.999Z', '1600-03-01T12:00:00.000Z'];
    for (let i = 0; i < 20_000; i++) {
      const year = rng.int(10_000);
      const month = 1 + rng.int(12);
      const day = 1 + rng.int(new Date(Date.UTC(2001, month, 0)).getUTCDate()); // 28 for February: real in every year
      samples.push(`${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}T${pad(rng.int(24), 2)}:${pad(rng.int(60), 2)}:${pad(rng.int(60), 2)}.${pad(rng.int(1000), 3)}Z`);
    }
    for (const text of samples) expect(parseUtcMillis(text), text).toBe(Date.parse(text));
  });

  it('is NaN for that form naming no real time, and undefined for other forms', () => {
    for (const text of ['2019-02-29T00:00:00.000Z', '1900-02-29T00:00:00.000Z', '2019-04-31T00:00:00.000Z', '2019-13-01T00:00:00.000Z', '2019-00-10T00:00:00.000Z', '2019-06-00T00:00:00.000Z', '2019-06-01T24:00:00.000Z', '2019-06-01T12:60:00.000Z', '2019-06-01T12:00:60.000Z', '2019-06-01T1a:00:00.000Z']) {
      expect(parseUtcMillis(text), text).toBeNaN();
    }
    for (const text of ['2019-06-01T18:17:10Z', '2019-06-01T18:17:10.101+02:00', '2019-06-01 18:17:10.101Z', '2019-06-01T18:17:10.1010Z', 'yesterday', '']) {
      expect(parseUtcMillis(text), text).toBeUndefined();
    }
  });

  it('leaves the other ISO 8601 forms to the regular parser, which still accepts them', () => {
    const line = (at: string) => ({ event: 'update', on: 'vehicle', at, data: { id: 'v', location: { lat: 1, lng: 2, at } }, organization_id: 'o' });
    expect((checkEvent(line('2019-06-01T20:17:10.101+02:00')) as VehicleEvent).at).toBe(Date.parse('2019-06-01T18:17:10.101Z'));
    expect((checkEvent(line('2019-06-01T18:17Z')) as VehicleEvent).location!.at).toBe(Date.parse('2019-06-01T18:17:00.000Z'));
    expect(checkEvent(line('2019-02-29T00:00:00.000Z'))).toMatch(/^unparseable time at: /);
  });
});

describe('FactRows', () => {
  const fix = (vehicleId: string, at: number, lat = 52.5, lng = 13.4): LakeEvent => ({ on: 'vehicle', event: 'update', at: at + 500, organizationId: 'org', vehicleId, location: { lat, lng, at } });

  it('keeps each (vehicle, at, lat, lng) once, and two positions of one time with different coordinates', () => {
    const facts = new FactRows();
    for (const event of [fix('a', 1000), fix('a', 1000), fix('a', 1000, 52.6), fix('a', 1000, 52.6), fix('a', 1000)]) facts.add(event);
    expect(facts.positions()).toEqual([
      { vehicle_id: 'a', at: 1000, lat: 52.5, lng: 13.4 },
      { vehicle_id: 'a', at: 1000, lat: 52.6, lng: 13.4 },
    ]);
  });

  it('hands the positions over grouped by vehicle, each in time order, late ones included', () => {
    const facts = new FactRows();
    for (const event of [fix('b', 3000), fix('a', 1000), fix('b', 1000), fix('a', 2000), fix('b', 2000), fix('a', 500)]) facts.add(event);
    expect(facts.positions().map((r) => `${r.vehicle_id}@${r.at}`)).toEqual(['b@1000', 'b@2000', 'b@3000', 'a@500', 'a@1000', 'a@2000']);
  });

  it('sends organisations, vehicles and lifecycle events once, and not at all once known', () => {
    const known = new KnownKeys();
    const first = new FactRows(known);
    const register: LakeEvent = { on: 'vehicle', event: 'register', at: 5000, organizationId: 'org', vehicleId: 'a', location: undefined };
    for (const event of [fix('a', 1000), register, fix('a', 2000), register, fix('b', 1000)]) first.add(event);
    expect(first.organisations).toEqual([{ id: 'org' }]);
    expect(first.vehicles).toEqual([{ id: 'a', organization_id: 'org' }, { id: 'b', organization_id: 'org' }]);
    expect(first.vehicleEvents).toEqual([{ vehicle_id: 'a', event: 'register', at: 5000 }]);
    known.addAll(first.newKeys);
    const second = new FactRows(known);
    for (const event of [fix('a', 3000), register, fix('c', 1000)]) second.add(event);
    expect([second.organisations, second.vehicleEvents]).toEqual([[], []]);
    expect(second.vehicles).toEqual([{ id: 'c', organization_id: 'org' }]);
    expect(second.positions()).toHaveLength(2);
  });
});
