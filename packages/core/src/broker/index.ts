/** Brokers of @sluice/core: the in-memory broker and the input checks every broker adapter shares. */
export { createMemoryBroker, type MemoryBroker, type MemoryBrokerOptions } from './memory-broker.js';
export {
  assertEnvelopes,
  assertGroup,
  assertTopic,
  defaultConsumeDefaults,
  resolveConsumeDefaults,
  resolveConsumeOptions,
  type ConsumeDefaults,
  type ResolvedConsumeOptions,
} from './validate.js';
