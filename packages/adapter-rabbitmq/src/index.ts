/**
 * @sluice/adapter-rabbitmq: the Sluice `Broker` on RabbitMQ (amqplib). Topics are durable fanout
 * exchanges, consumer groups durable quorum queues; publishes wait for publisher confirms, and acks
 * follow the store's commit.
 */
export { createRabbitMqBroker, type RabbitMqBroker } from './rabbitmq-broker.js';
export { resolveRabbitMqOptions, namesOf, type GroupDeclarations, type Names, type RabbitMqBrokerOptions, type ResolvedRabbitMqOptions } from './options.js';
export { RabbitMqBrokerError, isTransientAmqpError } from './errors.js';
export { DECODE_ERROR_HEADER, KEY_HEADER, TIMESTAMP_HEADER, decodeMessage, encodeEnvelopes } from './codec.js';
export { PACKED_HEADER, decodeEnvelopes, encodePacked } from './packed.js';
export { toDeadLetter, toDeadLetters } from './dead-letters.js';
