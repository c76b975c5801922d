/**
 * @sluice/adapter-kafka: the Sluice `Broker` on Apache Kafka (kafkajs), with consumer groups and
 * offsets committed only after `ack()` — that is, after the store has committed.
 */
export { createKafkaBroker, type KafkaBroker } from './kafka-broker.js';
export { resolveKafkaOptions, parseBrokers, type KafkaBrokerOptions, type KafkaLogLevel, type ResolvedKafkaOptions } from './options.js';
export { KafkaBrokerError, isRetriableKafkaError } from './errors.js';
export { DECODE_ERROR_HEADER, TIMESTAMP_HEADER } from './codec.js';
