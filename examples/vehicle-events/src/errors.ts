/** Errors of the vehicle-events example. */
import { SluiceError, type SluiceErrorOptions } from '@sluice/core';

/**
 * The warehouse's migrations cannot be applied: an applied migration was changed since, the
 * warehouse is newer than this program, or the engine lacks what the views need.
 */
export class WarehouseMigrationError extends SluiceError {
  constructor(
    message: string,
    /** The migration version concerned, when one is. */
    readonly version?: number,
    options: SluiceErrorOptions = {},
  ) {
    super(message, options);
  }
}
