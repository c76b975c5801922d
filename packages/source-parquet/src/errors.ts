/**
 * Errors of @sluice/source-parquet. A Parquet file that cannot be read at all (missing, truncated,
 * corrupt footer, undecodable row group, a projected column it does not have) fails the read with a
 * `ParquetFileError`: a `SourceError` that names the file and, where it applies, the row group and
 * its rows. A single bad value only rejects its row (see the source's JSDoc); it is not an error.
 */
import { SourceError, type SluiceErrorOptions } from '@sluice/core';

/** A Parquet file could not be opened, understood or decoded. */
export class ParquetFileError extends SourceError {
  constructor(
    message: string,
    source: string,
    /** Path of the file. */
    readonly path: string,
    options: SluiceErrorOptions & {
      /** 0-based row group that failed to decode, when the footer was readable. */
      rowGroup?: number;
    } = {},
  ) {
    super(message, source, options);
    this.rowGroup = options.rowGroup;
  }

  /** 0-based row group that failed to decode; undefined when the file failed as a whole. */
  readonly rowGroup: number | undefined;
}
