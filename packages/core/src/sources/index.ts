/** Built-in sources: streamed JSON array, NDJSON, CSV files, and a deterministic generator. */
export { DEFAULT_CHUNK_SIZE, DEFAULT_MAX_RECORD_BYTES, type FileSourceOptions } from './file-source.js';
export { jsonArraySource, type JsonArraySourceOptions } from './json-array-source.js';
export { ndjsonSource, type NdjsonSourceOptions } from './ndjson-source.js';
export { csvSource, type CsvRecord, type CsvSourceOptions } from './csv-source.js';
export { csvSplits, type CsvRange } from './csv-split.js';
export type { CsvColumnType, CsvPoint, CsvValue } from './csv-types.js';
export { parseWktPoint } from './csv-types.js';
export { generatorSource, type GeneratorSourceOptions } from './generator-source.js';
/** Building blocks for parsing JSON-array and UTF-8 input that does not come from a file (e.g. a request body). */
export { DEFAULT_MAX_DEPTH, JsonArrayParser } from './json-array-parser.js';
export { utf8Problem } from './utf8.js';
/** Building blocks for sources in other packages (e.g. @sluice/source-parquet): the flow-controlled read loop and fast record objects. */
export { chunkedObservable, asSourceError, type ChunkProducer } from './chunked-observable.js';
export { recordFactory, type RecordFactory } from './record-factory.js';
export { directorySource, directoryCursor, isFileEnd, type DirectorySourceOptions, type DirectoryCursor } from './directory-source.js';
