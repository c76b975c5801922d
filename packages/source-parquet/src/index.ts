/** @sluice/source-parquet: Parquet files as Sluice sources, read row group by row group with hyparquet. */
export {
  parquetSource,
  readParquetColumns,
  DEFAULT_CHUNK_ROWS,
  type ParquetSourceOptions,
  type ParquetColumnsOptions,
  type ParquetColumns,
  type ParquetColumnReject,
  type ParquetRecord,
  type ParquetValue,
} from './parquet-source.js';
export type { TypeMappingOptions, TimestampMapping, Int64Mapping, DecimalMapping } from './type-mapping.js';
export { ParquetFileError } from './errors.js';
