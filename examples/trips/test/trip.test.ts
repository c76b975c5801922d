/** The pure pieces of a trip: datetime parsing (fast and full paths agree) and names. */
import { describe, expect, it } from 'vitest';
import { nameId, nameKey, parseDatetime } from '../src/trip.js';

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
