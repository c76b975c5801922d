/** Errors of the trips example. */
import { SluiceError } from '@sluice/core';

/** The consumers of a broker ingestion ran out of work with trips missing, or took fewer trips than were published. */
export class IngestionLossError extends SluiceError {}

/** A process reading a range of a file for a bulk ingestion ended before it finished (staging.ts). */
export class StagingError extends SluiceError {}
