/** Errors of the machine-data example. */
import { SluiceError } from '@sluice/core';

/** One of the `run` command's own processes (the streaming API, the report) could not start or failed. */
export class StageProcessError extends SluiceError {
  constructor(message: string, cause?: unknown) {
    super(message, { retriable: false, cause });
  }
}
