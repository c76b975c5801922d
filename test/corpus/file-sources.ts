/** The file source of each corpus format, configured the way the corpus files are written. */
import { csvSource, jsonArraySource, ndjsonSource, type FileSourceOptions, type Source } from '@sluice/core';
import type { Format } from './entries.js';

/** File source options a test may set besides the path. */
export type FileReadOptions = Pick<FileSourceOptions, 'chunkSize' | 'maxRecordBytes'>;

/** File extension of each format. */
export const EXTENSIONS: Readonly<Record<Format, string>> = { ndjson: 'ndjson', json: 'json', csv: 'csv' };

/** The source reading `path` as `format`; CSV types `val` as a number and keeps ids and times as text. */
export function fileSourceFor(format: Format, path: string, options: FileReadOptions = {}): Source<unknown> {
  const common = { path, ...options };
  switch (format) {
    case 'ndjson':
      return ndjsonSource(common);
    case 'json':
      return jsonArraySource(common);
    case 'csv':
      return csvSource({ ...common, types: { val: 'number' } });
  }
}
