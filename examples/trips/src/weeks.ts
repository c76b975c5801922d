/** ISO weeks (Monday 00:00 UTC) as epoch days of their Monday, and their labels. Pure. */

export const DAY_MS = 86_400_000;

/** The epoch day (days since 1970-01-01) of the Monday of the ISO week holding `ms`. */
export function mondayOf(ms: number): number {
  const day = Math.floor(ms / DAY_MS);
  // 1970-01-01 was a Thursday: (day + 3) mod 7 is 0 on Mondays.
  return day - (((day + 3) % 7) + 7) % 7;
}

/** `2018-05-21` of an epoch day. */
export function dateOf(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/** The ISO week label of a Monday, e.g. `2018-W21` (the year is the one of the week's Thursday). */
export function weekLabel(monday: number): string {
  const thursday = new Date((monday + 3) * DAY_MS);
  const year = thursday.getUTCFullYear();
  const jan1 = Date.UTC(year, 0, 1) / DAY_MS;
  const week = Math.floor((monday + 3 - jan1) / 7) + 1;
  return `${year}-W${String(week).padStart(2, '0')}`;
}

/** Parses `YYYY-MM-DD` (UTC) into epoch ms, or undefined. */
export function parseDate(text: string): number | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!match) return undefined;
  const ms = Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
  return new Date(ms).toISOString().slice(0, 10) === text ? ms : undefined;
}
