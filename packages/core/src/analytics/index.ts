/**
 * Analytics of @sluice/core (pure, no I/O): which machine parameters move with each product's
 * output, and the statistics behind it.
 */
export * from './types.js';
export { rankCorrelations } from './rank-correlations.js';
export { correlationFold, rankCorrelationsOf, type CorrelationFold } from './fold.js';
export { defaultCorrelationOptions, resolveCorrelationOptions } from './options.js';
export { compareIds } from './ids.js';
export {
  averageRanks,
  correlationPValue,
  fisherInterval,
  linearDetrend,
  pearson,
  spearman,
} from './statistics.js';
export { logGamma, normalQuantile, regularizedIncompleteBeta, studentTTwoSidedP } from './special-functions.js';
export { isCounterReset, looksLikeCounter, unwrapCounter, type UnwrappedCounter } from './counter.js';
