/**
 * @sluice/adapter-redis: a Sluice `Broker` on Redis Streams with consumer groups
 * (XADD, XREADGROUP, XACK, XAUTOCLAIM, XTRIM MINID). Never Redis pub/sub.
 */
export { createRedisBroker, type RedisBroker } from './redis-broker.js';
export type { RedisBrokerOptions } from './options.js';
export { DECODE_ERROR_HEADER, ENVELOPE_FIELD, decodeEntry, encodeEnvelope } from './codec.js';
export type { StreamEntry } from './replies.js';
export { trimThreshold, type GroupProgress } from './trim.js';
