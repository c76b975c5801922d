/** Packed messages (option `packEnvelopes`) and their dead letters, without a server. */
import { BrokerError, type Envelope } from '@sluice/core';
import type { GetMessage, Message } from 'amqplib';
import { describe, expect, it } from 'vitest';
import { DECODE_ERROR_HEADER, decodeEnvelopes, decodeMessage, encodePacked, PACKED_HEADER, toDeadLetters } from '../src/index.js';

/** The message RabbitMQ would deliver for an encoded one. */
function delivered(content: Buffer, properties: Record<string, unknown>, extraHeaders: Record<string, unknown> = {}): Message {
  const headers = { ...(properties.headers as Record<string, unknown> | undefined), ...extraHeaders };
  return {
    content,
    fields: { deliveryTag: 1, redelivered: false, exchange: 'sluice.t', routingKey: '' },
    properties: { ...properties, headers } as Message['properties'],
  } as Message;
}

const sample: Envelope<unknown>[] = [
  { key: 'a', value: { n: 1, s: 'tab\t"quote" ü €' }, timestamp: 1_700_000_000_123.5, headers: { trace: 't-1' } },
  { key: 'b', value: 'plain', timestamp: -5, headers: {} },
  { key: 'a', value: null, timestamp: 1_700_000_000_125, headers: { 'sluice-key': 'not reserved in a pack' } },
];

describe('rabbitmq packed messages', () => {
  it('packs a batch into one persistent, mandatory message and unpacks it as it was', () => {
    const messages = encodePacked('t', sample, 'c-1');
    expect(messages).toHaveLength(1);
    const [message] = messages;
    expect(message!.options).toMatchObject({ persistent: true, mandatory: true, correlationId: 'c-1', headers: { [PACKED_HEADER]: '1' }, timestamp: 1_700_000_000 });
    expect(decodeEnvelopes(delivered(message!.content, message!.options as Record<string, unknown>, { 'x-delivery-count': 1 }))).toEqual(sample);
  });

  it('splits a batch larger than the pack bound into packs that each fit, in order; a larger envelope goes alone', () => {
    const many = Array.from({ length: 100 }, (_, i) => ({ key: `k-${i}`, value: 'x'.repeat(i === 50 ? 5000 : 80), timestamp: i, headers: {} }));
    const messages = encodePacked('t', many, 'c', 2000);
    expect(messages.length).toBeGreaterThan(5);
    const alone = messages.filter((message) => message.content.length > 2000);
    expect(alone).toHaveLength(1);
    const back = messages.flatMap((message) => decodeEnvelopes(delivered(message.content, message.options as Record<string, unknown>)));
    expect(back).toEqual(many);
  });

  it('refuses a batch with a value JSON cannot hold, naming the envelope', () => {
    const ok = { key: 'a', value: 1, timestamp: 1, headers: {} };
    expect(() => encodePacked('t', [ok, { ...ok, key: 'b', value: () => 1 }], 'c')).toThrow(/envelope 1 \(key "b"\).*JSON/);
    expect(() => encodePacked('t', [ok, ok, { ...ok, key: 'c', value: { big: 1n } }], 'c')).toThrow(BrokerError);
    expect(() => encodePacked('t', [{ ...ok, value: undefined }], 'c')).toThrow(/envelope 0/);
  });

  it('delivers a pack it cannot read as one envelope with a decode-error header, and a bad entry as itself', () => {
    const packed = { headers: { [PACKED_HEADER]: '1' }, messageId: 'm-1' };
    const notJson = decodeEnvelopes(delivered(Buffer.from('[oops'), packed));
    expect(notJson).toHaveLength(1);
    expect(notJson[0]).toMatchObject({ key: 'm-1', value: '[oops' });
    expect(notJson[0]!.headers[DECODE_ERROR_HEADER]).toMatch(/exchange "sluice.t".*packed body is not JSON/);
    const future = decodeEnvelopes(delivered(Buffer.from('[]'), { headers: { [PACKED_HEADER]: '9' } }));
    expect(future[0]!.key).toMatch(/^sha1:/);
    expect(future[0]!.headers[DECODE_ERROR_HEADER]).toMatch(/format 9.*upgrade the consumer/);
    expect(decodeEnvelopes(delivered(Buffer.from('{}'), packed))[0]!.headers[DECODE_ERROR_HEADER]).toMatch(/not a JSON array/);
    expect(decodeEnvelopes(delivered(Buffer.from('[]'), packed))[0]!.headers[DECODE_ERROR_HEADER]).toMatch(/packs no envelopes/);
    const mixed = decodeEnvelopes(delivered(Buffer.from(JSON.stringify([['k', 1, {}, 'v'], { not: 'an entry' }])), packed));
    expect(mixed[0]).toEqual({ key: 'k', value: 'v', timestamp: 1, headers: {} });
    expect(mixed[1]!.value).toEqual({ not: 'an entry' });
    expect(mixed[1]!.headers[DECODE_ERROR_HEADER]).toMatch(/entry 1 of 2 is not a packed envelope/);
    expect(decodeEnvelopes(delivered(Buffer.from(JSON.stringify([['k', 1, {}, 'v'], { not: 'an entry' }])), packed))[1]!.key).toBe(mixed[1]!.key);
  });

  it('is a foreign message with a decode-error header to a consumer that reads only unpacked messages', () => {
    const [message] = encodePacked('t', sample, 'c');
    const seen = decodeMessage(delivered(message!.content, message!.options as Record<string, unknown>));
    expect(Array.isArray(seen.value)).toBe(true);
    expect(seen.headers[DECODE_ERROR_HEADER]).toMatch(/no sluice-key/);
  });

  it('becomes one dead letter per envelope when RabbitMQ dead-letters a pack', () => {
    const [message] = encodePacked('t', sample, 'c');
    const death = { reason: 'delivery_limit', queue: 'sluice.t|g', time: { '!': 'timestamp', value: 1_700_000_100 }, count: 1, exchange: '', 'routing-keys': [] };
    const dead = delivered(message!.content, message!.options as Record<string, unknown>, { 'x-death': [death] }) as GetMessage;
    const letters = toDeadLetters(dead, 't');
    expect(letters.map((letter) => letter.key)).toEqual(['a', 'b', 'a']);
    expect(letters[1]).toMatchObject({ origin: 't', payload: '"plain"', at: 1_700_000_100_000 });
    expect(letters[0]!.reason).toMatch(/delivery limit.*from queue "sluice.t\|g"; envelope 1 of 3 of a packed message/);
  });
});
