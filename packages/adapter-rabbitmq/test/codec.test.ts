/** Envelope ↔ AMQP message and the options, without a server. */
import { BrokerError, ConfigError } from '@sluice/core';
import type { Message } from 'amqplib';
import { describe, expect, it } from 'vitest';
import { DECODE_ERROR_HEADER, decodeMessage, encodeEnvelopes, namesOf, resolveRabbitMqOptions } from '../src/index.js';

/** The message RabbitMQ would deliver for an encoded one (plus headers it adds). */
function delivered(content: Buffer, properties: Record<string, unknown>, extraHeaders: Record<string, unknown> = {}): Message {
  const headers = { ...(properties.headers as Record<string, unknown> | undefined), ...extraHeaders };
  return {
    content,
    fields: { deliveryTag: 1, redelivered: false, exchange: 'sluice.t', routingKey: '' },
    properties: { ...properties, headers } as Message['properties'],
  } as Message;
}

describe('rabbitmq codec', () => {
  it('round-trips key, value, timestamp and headers, and drops the headers RabbitMQ adds', () => {
    const envelope = { key: 'k:1', value: { a: [1, 'ü'] }, timestamp: 1_700_000_000_123.5, headers: { trace: 't-1' } };
    const [message] = encodeEnvelopes('t', [envelope], 'c-1');
    expect(message!.options).toMatchObject({ persistent: true, contentType: 'application/json', correlationId: 'c-1', timestamp: 1_700_000_000 });
    const back = decodeMessage(delivered(message!.content, message!.options as Record<string, unknown>, { 'x-delivery-count': 2, 'x-death': [] }));
    expect(back).toEqual(envelope);
  });

  it('carries the key as the message id, or in the sluice-key header when it is longer than 255 bytes, and still reads the older form', () => {
    const short = { key: 'ü'.repeat(127), value: 1, timestamp: 5, headers: {} };
    const long = { key: 'ü'.repeat(128), value: 2, timestamp: 6, headers: {} };
    const [first, second] = encodeEnvelopes('t', [short, long], 'c');
    expect(first!.options.messageId).toBe(short.key);
    expect(first!.options.headers).toEqual({ 'sluice-timestamp': '5' });
    expect(second!.options.messageId).toBeUndefined();
    expect(second!.options.headers).toEqual({ 'sluice-key': long.key, 'sluice-timestamp': '6' });
    expect(decodeMessage(delivered(first!.content, first!.options as Record<string, unknown>))).toEqual(short);
    expect(decodeMessage(delivered(second!.content, second!.options as Record<string, unknown>))).toEqual(long);
    const older = decodeMessage(delivered(Buffer.from('3'), { messageId: 'other', headers: { 'sluice-key': 'k', 'sluice-timestamp': '7' } }));
    expect(older).toEqual({ key: 'k', value: 3, timestamp: 7, headers: {} });
  });

  it('leaves out the timestamp property for times AMQP cannot hold, and keeps the exact time', () => {
    const [message] = encodeEnvelopes('t', [{ key: 'k', value: 1, timestamp: -5, headers: {} }], 'c');
    expect(message!.options.timestamp).toBeUndefined();
    expect(decodeMessage(delivered(message!.content, message!.options as Record<string, unknown>)).timestamp).toBe(-5);
  });

  it('decodes a foreign message without throwing: key from message id or body hash, text value, decode-error header', () => {
    const foreign = decodeMessage(delivered(Buffer.from('oops'), { headers: { n: 7, flag: true, buf: Buffer.from('b') } }));
    expect(foreign.key).toMatch(/^sha1:/);
    expect(foreign.value).toBe('oops');
    expect(foreign.headers).toMatchObject({ n: '7', flag: 'true', buf: 'b' });
    expect(foreign.headers[DECODE_ERROR_HEADER]).toMatch(/exchange "sluice.t".*no sluice-key.*not JSON/);
    const again = decodeMessage(delivered(Buffer.from('oops'), {}));
    expect(again.key).toBe(foreign.key);
    const bad = decodeMessage(delivered(Buffer.from('1'), { headers: { 'sluice-key': 'k', 'sluice-timestamp': 'soon' } }));
    expect(bad.headers[DECODE_ERROR_HEADER]).toMatch(/sluice-timestamp is not a number: soon/);
  });

  it('refuses a batch with an envelope AMQP cannot carry, naming it', () => {
    const ok = { key: 'a', value: 1, timestamp: 1, headers: {} };
    expect(() => encodeEnvelopes('t', [ok, { ...ok, key: 'b', value: () => 1 }], 'c')).toThrow(/envelope 1 \(key "b"\).*JSON/);
    expect(() => encodeEnvelopes('t', [{ ...ok, headers: { ['h'.repeat(300)]: 'x' } }], 'c')).toThrow(BrokerError);
  });
});

describe('rabbitmq options', () => {
  it('fills in defaults and reads SLUICE_RABBITMQ_URL', () => {
    const resolved = resolveRabbitMqOptions({}, { SLUICE_RABBITMQ_URL: 'amqp://u:p@h:1/v' });
    expect(resolved).toMatchObject({ url: 'amqp://u:p@h:1/v', prefix: 'sluice.', deliveryLimit: 20, batchMs: 20 });
    expect(resolved.groups('any')).toEqual([]);
  });

  it('takes groups as a list, a record or a function', () => {
    expect(resolveRabbitMqOptions({ groups: ['a'] }).groups('t')).toEqual(['a']);
    expect(resolveRabbitMqOptions({ groups: { t: ['b'] } }).groups('t')).toEqual(['b']);
    expect(resolveRabbitMqOptions({ groups: { t: ['b'] } }).groups('u')).toEqual([]);
    expect(resolveRabbitMqOptions({ groups: (topic) => [`${topic}-g`] }).groups('t')).toEqual(['t-g']);
  });

  it('refuses options that make no sense, naming them', () => {
    expect(() => resolveRabbitMqOptions({ url: 'redis://x' })).toThrow(ConfigError);
    expect(() => resolveRabbitMqOptions({ deliveryLimit: 0 })).toThrow(/deliveryLimit/);
    expect(() => resolveRabbitMqOptions({ groups: [''] })).toThrow(/groups/);
    expect(() => namesOf('p.').queue('t'.repeat(300), 'g')).toThrow(/255/);
  });

  it('names a group queue and its dead letters after the topic', () => {
    const names = namesOf('sluice.');
    expect([names.exchange('t'), names.queue('t', 'g'), names.deadLetterQueue('t', 'g')]).toEqual(['sluice.t', 'sluice.t|g', 'sluice.t|g.dead-letters']);
  });
});
