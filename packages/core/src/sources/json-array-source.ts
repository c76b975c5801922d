/** A source over a file holding one JSON array, streamed element by element in bounded memory. */
import type { Source } from '../types.js';
import { fileSource, type FileSourceOptions } from './file-source.js';
import { JsonArrayParser } from './json-array-parser.js';

/** Options of {@link jsonArraySource}. */
export type JsonArraySourceOptions = FileSourceOptions;

/**
 * Reads the elements of the JSON array in `options.path` as records, without ever holding the
 * whole file: a multi-gigabyte array reads in the memory of one chunk. Each record's position is
 * `{ offset, index }`: the byte just past the element and its 0-based index; `read(position)`
 * continues with the next element. A malformed element becomes a reject and reading goes on; a
 * file that is not an array, or is truncated, yields a reject saying so.
 */
export function jsonArraySource<T = unknown>(options: JsonArraySourceOptions): Source<T> {
  return fileSource<T>('JSON array', options, (file, resume) =>
    resume?.offset === undefined
      ? { offset: file.contentStart, parser: new JsonArrayParser<T>(false, 0) }
      : { offset: resume.offset, parser: new JsonArrayParser<T>(true, (resume.index ?? -1) + 1) },
  );
}
