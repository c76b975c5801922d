/**
 * @sluice/core/testkit: contract suites every adapter runs, and helpers for real-server tests.
 * Each suite takes vitest's `it` and a factory, so an adapter's suite file is a factory plus one call.
 */
export * from './services.js';
export * from './broker-contract.js';
export * from './store-contract.js';
export * from './source-contract.js';
export * from './browser.js';
