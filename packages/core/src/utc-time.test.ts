import { describe, expect, it } from 'vitest';
import { daysInMonth, digitsAt, utcMillis } from './utc-time.js';

describe('utc-time', () => {
  it('reads digits, and says -1 when one is not a digit', () => {
    expect(digitsAt('x2018-05', 1, 4)).toBe(2018);
    expect(digitsAt('0007', 0, 4)).toBe(7);
    expect(digitsAt('20a8', 0, 4)).toBe(-1);
    expect(digitsAt('2018', 2, 4)).toBe(-1); // past the end
  });

  it('gives what Date.UTC gives for every day of four centuries', () => {
    for (let year = 1900; year < 2300; year += 1) {
      for (let month = 1; month <= 12; month++) {
        const days = daysInMonth(year, month);
        expect(days).toBe(new Date(Date.UTC(year, month, 0)).getUTCDate());
        for (const day of [1, 15, days]) {
          expect(utcMillis(year, month, day, 23, 59, 58, 999)).toBe(Date.UTC(year, month - 1, day, 23, 59, 58, 999));
        }
      }
    }
  });

  it('takes years below 100 as written, unlike Date.UTC', () => {
    const expected = new Date(0);
    expected.setUTCFullYear(99, 5, 1);
    expect(utcMillis(99, 6, 1, 0, 0, 0)).toBe(expected.getTime());
  });

  it('is NaN for fields that name no real time', () => {
    const cases: [number, number, number, number, number, number][] = [
      [2019, 2, 29, 0, 0, 0],
      [2018, 4, 31, 0, 0, 0],
      [2018, 0, 1, 0, 0, 0],
      [2018, 13, 1, 0, 0, 0],
      [2018, 1, 0, 0, 0, 0],
      [2018, 1, 1, 24, 0, 0],
      [2018, 1, 1, 0, 60, 0],
      [2018, 1, 1, 0, 0, 60],
      [-1, 1, 1, 0, 0, 0],
      [2018, 1, 1, -1, 0, 0],
    ];
    for (const fields of cases) expect(utcMillis(...fields)).toBeNaN();
    expect(utcMillis(2018, 1, 1, 0, 0, 0, 1000)).toBeNaN();
    expect(utcMillis(2018, 1, 1, 0, 0, 0, -1)).toBeNaN();
  });
});
