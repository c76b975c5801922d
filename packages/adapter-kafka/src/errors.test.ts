import { describe, expect, it } from 'vitest';
import { isRetriableKafkaError } from './errors.js';

/** Builds an error shaped like kafkajs's (name, retriable, cause). */
function kafkaError(name: string, retriable: boolean, cause?: unknown): Error {
  return Object.assign(new Error(name), { name, retriable, cause });
}

describe('isRetriableKafkaError', () => {
  it('sees through the wrappers kafkajs puts around exhausted retries of a lost connection', () => {
    const lost = kafkaError('KafkaJSConnectionError', true);
    expect(isRetriableKafkaError(kafkaError('KafkaJSNonRetriableError', false, lost))).toBe(true);
    expect(isRetriableKafkaError(kafkaError('KafkaJSNumberOfRetriesExceeded', false, lost))).toBe(true);
  });

  it('takes a group coordinator no broker could name for a lost cluster, though kafkajs marks it final', () => {
    const notFound = kafkaError('KafkaJSGroupCoordinatorNotFound', false);
    expect(isRetriableKafkaError(kafkaError('KafkaJSNonRetriableError', false, notFound))).toBe(true);
  });

  it('keeps a protocol error that kafkajs marks final as final, even when wrapped', () => {
    const denied = kafkaError('KafkaJSProtocolError', false);
    expect(isRetriableKafkaError(kafkaError('KafkaJSNonRetriableError', false, denied))).toBe(false);
    expect(isRetriableKafkaError(denied)).toBe(false);
    expect(isRetriableKafkaError(new Error('plain'))).toBe(false);
  });
});
