/**
 * Reading fixed-width UTC times without `Date`: the digits of a field, and the epoch milliseconds of
 * calendar fields, checked. Pure. Sources that parse millions of timestamps of one known shape read
 * them with these (no regular expression, no `Date` object per value) and keep their generic path for
 * every other shape and for saying what is wrong.
 */

/** The number written by the `count` ASCII digits of `text` at `at`, or -1 when one is not a digit. */
export function digitsAt(text: string, at: number, count: number): number {
  let value = 0;
  for (let i = at; i < at + count; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (!(digit >= 0 && digit <= 9)) return -1; // NaN past the end
    value = value * 10 + digit;
  }
  return value;
}

/** Days in `month` (1–12) of `year` in the proleptic Gregorian calendar. */
export function daysInMonth(year: number, month: number): number {
  if (month !== 2) return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
}

/** Days from 1970-01-01 to a day of the proleptic Gregorian calendar (H. Hinnant's `days_from_civil`). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  return era * 146_097 + yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear - 719_468;
}

/**
 * Epoch milliseconds of a UTC time given by its fields (month 1–12), or NaN when they name no real
 * time: a negative field (`digitsAt` found no digits), month or day out of range (30 February),
 * hour > 23, minute or second > 59, milliseconds > 999. Years are taken as written (`Date.UTC`
 * reads 0–99 as 1900–1999).
 */
export function utcMillis(year: number, month: number, day: number, hour: number, minute: number, second: number, milli = 0): number {
  if (year < 0 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return Number.NaN;
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59 || milli < 0 || milli > 999) return Number.NaN;
  return daysFromCivil(year, month, day) * 86_400_000 + hour * 3_600_000 + minute * 60_000 + second * 1000 + milli;
}
