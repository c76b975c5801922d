/**
 * The layout of a lake: `LAKE/data/YYYY-MM-DD/<epoch-seconds>.json`, one folder per day, several
 * files a day named for the second their window starts. Listing is the only I/O here.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError } from '@sluice/core';

/** A day folder name. */
export const DAY_PATTERN = /^\d{4}-\d{2}-\d{2}$/;
/** A lake file name: epoch seconds, `.json`. Anything else in a day folder (temporary files, notes) is left alone. */
export const FILE_PATTERN = /^(\d{1,12})\.json$/;

/** One file of the lake. */
export interface LakeFile {
  day: string;
  name: string;
  path: string;
  /** `data/DAY/NAME`: the file's place in the lake, used as its checkpoint stream and dead-letter origin. */
  relative: string;
}

/** Checks `YYYY-MM-DD` (a real calendar day); throws a `ConfigError` naming the option. */
export function checkDay(value: string, option: string): string {
  const ms = DAY_PATTERN.test(value) ? Date.parse(`${value}T00:00:00Z`) : Number.NaN;
  if (!Number.isFinite(ms) || new Date(ms).toISOString().slice(0, 10) !== value) {
    throw new ConfigError(`--${option} ${JSON.stringify(value)} is not a day; give it as YYYY-MM-DD, e.g. 2019-06-01`, option);
  }
  return value;
}

/** The day (`YYYY-MM-DD`, UTC) of epoch milliseconds. */
export function dayOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** The folder of a day. */
export function dayDir(lake: string, day: string): string {
  return join(lake, 'data', day);
}

/** Which days to take: all, or those from `from` to `to` (inclusive, either open). */
export interface DayRange {
  from?: string;
  to?: string;
}

/** The day folders of the lake within `range`, in order. Throws a `ConfigError` when the lake has no `data` folder. */
export async function listDays(lake: string, range: DayRange = {}): Promise<string[]> {
  let names: string[];
  try {
    names = (await readdir(join(lake, 'data'), { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ConfigError(
      `cannot read the lake ${lake}: ${code === 'ENOENT' ? 'it has no data/ folder' : String(code ?? error)}; give --lake the folder that holds data/YYYY-MM-DD/`,
      'lake',
    );
  }
  return names
    .filter((name) => DAY_PATTERN.test(name))
    .filter((day) => (range.from === undefined || day >= range.from) && (range.to === undefined || day <= range.to))
    .sort();
}

/** The lake files of one day, in time order. */
export async function listFiles(lake: string, day: string): Promise<LakeFile[]> {
  const entries = await readdir(dayDir(lake, day), { withFileTypes: true });
  return entries
    .filter((e) => (e.isFile() || e.isSymbolicLink()) && FILE_PATTERN.test(e.name))
    .map((e) => e.name)
    .sort((a, b) => Number(FILE_PATTERN.exec(a)![1]) - Number(FILE_PATTERN.exec(b)![1]))
    .map((name) => ({ day, name, path: join(dayDir(lake, day), name), relative: `data/${day}/${name}` }));
}
