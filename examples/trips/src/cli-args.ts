/** Checked values of the area and date options, shared by the command line and the server. */
import { ConfigError } from '@sluice/core';
import { choiceOption } from '@sluice/runtime';
import { parseBox } from './cover.js';
import type { Area } from './queries.js';
import { parseDate } from './weeks.js';

/** The area of `--region` or `--bbox` (exactly one) with `--match`. */
export function areaOf(values: { region?: string | undefined; bbox?: string | undefined; match?: string | undefined }): Area {
  if ((values.region === undefined) === (values.bbox === undefined)) throw new ConfigError('give exactly one of --region NAME and --bbox minLon,minLat,maxLon,maxLat', 'region');
  const match = choiceOption('match', values.match, ['origin', 'destination', 'both'] as const);
  if (values.region !== undefined) {
    if (match !== undefined) throw new ConfigError('--match goes with --bbox (a region is a property of the whole trip)', 'match');
    return { region: values.region };
  }
  const bbox = parseBox(values.bbox!);
  if (typeof bbox === 'string') throw new ConfigError(bbox, 'bbox');
  return { bbox, ...(match ? { match } : {}) };
}

/** `--from`/`--to` dates (both or neither). */
export function rangeOf(from: string | undefined, to: string | undefined): { from?: number; to?: number } {
  const parse = (name: string, text: string | undefined) => {
    if (text === undefined) return undefined;
    const ms = parseDate(text);
    if (ms === undefined) throw new ConfigError(`--${name} ${JSON.stringify(text)} is not a date like 2018-05-21`, name);
    return ms;
  };
  const f = parse('from', from);
  const t = parse('to', to);
  if ((f === undefined) !== (t === undefined)) throw new ConfigError('give both --from and --to, or neither', 'from');
  return f === undefined ? {} : { from: f, to: t! };
}

