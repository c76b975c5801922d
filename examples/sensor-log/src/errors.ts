/** Errors of the sensor-log example. */
import { SluiceError, type SluiceErrorOptions } from '@sluice/core';

/** A file that cannot be loaded as a whole (unreadable, truncated, a column missing): it is quarantined. */
export class SensorFileError extends SluiceError {
  constructor(
    message: string,
    /** The file's name within the folder. */
    readonly file: string,
    options: SluiceErrorOptions = {},
  ) {
    super(message, options);
  }
}

/** Workers of a scaled-out load that failed or did not report. */
export class WorkerError extends SluiceError {}
