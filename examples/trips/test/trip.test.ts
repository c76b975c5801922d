/** The pure pieces of a trip: datetime parsing (fast and full paths agree) and names. */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { formatIssues } from '@sluice/core';
import { hash53, nameId, nameKey, parseDatetime, tripContent, tripId, tripSchema, valuesId, type Point, type Trip } from '../src/trip.js';

describe('parseDatetime', () => {
  it('reads valid times as UTC epoch ms, with a space or a T, trimmed', () => {
    expect(parseDatetime('2018-05-28 09:03:40')).toBe(Date.UTC(2018, 4, 28, 9, 3, 40));
    expect(parseDatetime('2018-05-28T09:03:40')).toBe(Date.UTC(2018, 4, 28, 9, 3, 40));
    expect(parseDatetime('  2018-05-28 09:03:40 ')).toBe(Date.UTC(2018, 4, 28, 9, 3, 40));
    expect(parseDatetime('2020-02-29 23:59:59')).toBe(Date.UTC(2020, 1, 29, 23, 59, 59));
    expect(parseDatetime('2000-02-29 00:00:00')).toBe(Date.UTC(2000, 1, 29));
    expect(parseDatetime('1970-01-01 00:00:00')).toBe(0);
    expect(parseDatetime('2099-12-31 23:59:59')).toBe(Date.UTC(2099, 11, 31, 23, 59, 59));
  });

  it('reads a fraction of a second to the millisecond, and a zone by which the time moves to UTC', () => {
    const at = Date.UTC(2018, 4, 28, 9, 3, 40);
    expect(parseDatetime('2018-05-28 09:03:40.250')).toBe(at + 250);
    expect(parseDatetime('2018-05-28 09:03:40.5')).toBe(at + 500);
    expect(parseDatetime('2018-05-28T09:03:40.123456789')).toBe(at + 123);
    expect(parseDatetime('2018-05-28 09:03:40.1239')).toBe(parseDatetime('2018-05-28 09:03:40.123'));
    expect(parseDatetime('2018-05-28T09:03:40Z')).toBe(at);
    expect(parseDatetime('2018-05-28T09:03:40.007z')).toBe(at + 7);
    expect(parseDatetime('2018-05-28T11:03:40+02:00')).toBe(at);
    expect(parseDatetime('2018-05-28 11:33:40+0230')).toBe(at);
    expect(parseDatetime('2018-05-28 04:03:40-05')).toBe(at);
    expect(parseDatetime('2018-05-28 00:03:40.5-09:00')).toBe(at + 500);
    // Across a day, month and year boundary.
    expect(parseDatetime('2018-12-31 23:30:00-01:00')).toBe(Date.UTC(2019, 0, 1, 0, 30));
    expect(parseDatetime('2019-01-01 00:30:00+01:00')).toBe(Date.UTC(2018, 11, 31, 23, 30));
  });

  it('refuses offsets that are no zone, fractions without digits, and zones that move a time out of range', () => {
    expect(parseDatetime('2018-05-28 09:03:40+19:00')).toMatch(/offset that is not a valid zone/);
    expect(parseDatetime('2018-05-28 09:03:40+02:60')).toMatch(/offset that is not a valid zone/);
    for (const text of ['2018-05-28 09:03:40.', '2018-05-28 09:03:40.1234567890', '2018-05-28 09:03:40 Z', '2018-05-28 09:03:40+2', '2018-05-28 09:03:40UTC']) {
      expect(parseDatetime(text)).toMatch(/is not a datetime like/);
    }
    expect(parseDatetime('1970-01-01 00:30:00+01:00')).toMatch(/is outside 1970-01-01/);
    expect(parseDatetime('2099-12-31 23:30:00-01:00')).toMatch(/is outside 1970-01-01/);
    // The range is of the time in UTC, not as written.
    expect(parseDatetime('1969-12-31 23:30:00-01:00')).toBe(Date.UTC(1970, 0, 1, 0, 30));
  });

  it('says what is wrong with times that are not valid', () => {
    for (const text of ['2019-02-29 10:00:00', '1900-02-29 10:00:00', '2018-13-01 00:00:00', '2018-04-31 00:00:00', '2018-01-01 24:00:00', '2018-01-01 00:60:00', '2018-01-01 00:00:60', '2018-00-10 00:00:00']) {
      expect(parseDatetime(text)).toBe(`${JSON.stringify(text)} is not a valid date and time`);
    }
    for (const text of ['2018-01-01', '2018/01/01 00:00:00', '2018-01-01 0:00:00', 'x018-01-01 00:00:00', '']) {
      expect(parseDatetime(text)).toMatch(/is not a datetime like/);
    }
  });

  it('refuses times outside 1970 … 2099, including two-digit years Date.UTC would read as 19xx', () => {
    for (const text of ['1969-12-31 23:59:59', '2100-01-01 00:00:00', '0099-06-01 00:00:00', '0070-01-01 00:00:00']) {
      expect(parseDatetime(text)).toBe(`${JSON.stringify(text)} is outside 1970-01-01 … 2099-12-31`);
    }
  });
});

describe('names', () => {
  it('compares names without case and surrounding or repeated spaces, the same on every call', () => {
    expect(nameKey('  Hamburg   Mitte ')).toBe('hamburg mitte');
    expect(nameKey('  Hamburg   Mitte ')).toBe('hamburg mitte');
    expect(nameId('HAMBURG mitte')).toBe(nameId(' hamburg  Mitte'));
    expect(nameId('Hamburg')).not.toBe(nameId('Prague'));
  });
});

describe('trip identity', () => {
  const trip: Trip = { region: 'Prague', datasource: 'cheap_mobile', origin: { lon: 14.5, lat: 50.1 }, destination: { lon: 14.43, lat: 50.07 }, at: Date.UTC(2018, 4, 28, 9, 3, 40) };

  it('identity 2: equal normalised contents give one id, any other field another', () => {
    const id = tripId(trip);
    expect(Number.isSafeInteger(id) && id >= 0).toBe(true);
    expect(valuesId(nameId(trip.region), nameId(trip.datasource), trip)).toBe(id);
    // Names as their comparison forms, -0 as 0.
    expect(tripId({ ...trip, region: ' PRAGUE ', datasource: 'Cheap_Mobile' })).toBe(id);
    const zero: Trip = { ...trip, origin: { lon: 0, lat: 50.1 } };
    expect(tripId({ ...zero, origin: { lon: -0, lat: 50.1 } })).toBe(tripId(zero));
    const others: Trip[] = [
      { ...trip, region: 'Brno' },
      { ...trip, datasource: 'funny_car' },
      { ...trip, at: trip.at + 1 },
      { ...trip, origin: { lon: 14.500000000000002, lat: 50.1 } },
      { ...trip, origin: { lon: 50.1, lat: 14.5 } },
      { ...trip, destination: trip.origin, origin: trip.destination },
      { ...trip, destination: { lon: 14.43, lat: 50.070001 } },
    ];
    const ids = new Set([id, ...others.map((other) => tripId(other))]);
    expect(ids.size).toBe(others.length + 1);
  });

  it('identity 2: no two of 300,000 trips of one millisecond share an id (53 bits: about 5 in a billion runs would)', () => {
    const ids = new Set<number>();
    let seed = 7;
    const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    for (let i = 0; i < 300_000; i++) {
      const point = () => ({ lon: Math.round((14 + next()) * 1e6) / 1e6, lat: Math.round((50 + next()) * 1e6) / 1e6 });
      ids.add(tripId({ ...trip, origin: point(), destination: point() }));
    }
    expect(ids.size).toBe(300_000);
  });

  it('identity 1 (stores made before identity 2): the hash of the content as text', () => {
    expect(tripId(trip, 1)).toBe(hash53(tripContent(trip)));
    expect(tripId({ ...trip, region: 'prague ' }, 1)).toBe(tripId(trip, 1));
  });
});

describe('tripSchema', () => {
  /** The rules as a zod object of refinements (how they were first written): the oracle. */
  const display = (name: string) => name.normalize('NFC').trim().replace(/\s+/g, ' ');
  const name = (what: string) =>
    z
      .string({ message: `required: the ${what}` })
      .transform(display)
      .refine((text) => text.length > 0, { message: `the ${what} is empty` })
      .refine((text) => text.length <= 200, { message: `the ${what} is longer than 200 characters` });
  const point = z.custom<Point>((v) => typeof v === 'object' && v !== null && typeof (v as Point).lon === 'number' && typeof (v as Point).lat === 'number', {
    message: 'required: a POINT (lon lat)',
  });
  const oracle = z
    .object({ region: name('region'), origin_coord: point, destination_coord: point, datetime: z.string({ message: 'required: the datetime' }), datasource: name('datasource') })
    .transform((row, context) => {
      const at = parseDatetime(row.datetime);
      if (typeof at === 'string') {
        context.addIssue({ code: 'custom', path: ['datetime'], message: at });
        return z.NEVER;
      }
      return { region: row.region, datasource: row.datasource, origin: row.origin_coord, destination: row.destination_coord, at };
    });
  const outcome = (schema: z.ZodType, value: unknown) => {
    const parsed = schema.safeParse(value);
    return parsed.success ? { trip: parsed.data } : { issues: formatIssues(parsed.error) };
  };

  it('accepts and refuses exactly what the rules as a zod object do, naming every wrong field in column order', () => {
    const good = { region: '  Prague ', origin_coord: { lon: 14.4, lat: 50 }, destination_coord: { lon: 14.5, lat: 50.1 }, datetime: '2018-05-28 09:03:40', datasource: 'funny  car' };
    const cases: unknown[] = [
      good,
      { ...good, region: '   ' },
      { ...good, region: 'x'.repeat(201) },
      { ...good, region: 'x'.repeat(200), datasource: 'e\u0301' },
      { ...good, region: undefined },
      { ...good, region: 5 },
      { ...good, origin_coord: 'POINT (1 2)' },
      { ...good, destination_coord: { lon: 1 } },
      { ...good, datetime: '2018-02-30 09:03:43' },
      { ...good, datetime: 'yesterday' },
      { ...good, datetime: '2018-05-28T09:03:40.5+02:00' },
      { ...good, datetime: undefined },
      { region: '', origin_coord: null, destination_coord: {}, datetime: 7, datasource: '' },
      { region: '', datetime: 'not a time' },
      {},
    ];
    for (const value of cases) expect(outcome(tripSchema, value), JSON.stringify(value)).toEqual(outcome(oracle, value));
    expect(outcome(tripSchema, good)).toEqual({ trip: { region: 'Prague', datasource: 'funny car', origin: { lon: 14.4, lat: 50 }, destination: { lon: 14.5, lat: 50.1 }, at: Date.UTC(2018, 4, 28, 9, 3, 40) } });
    expect(outcome(tripSchema, cases[12])).toEqual({
      issues: ['region: the region is empty', 'origin_coord: required: a POINT (lon lat)', 'destination_coord: required: a POINT (lon lat)', 'datetime: required: the datetime', 'datasource: the datasource is empty'],
    });
  });
});
