/** Pure parts of the Redis broker: envelope codec, stream ids, reply parsing, trim threshold. */
import { describe, expect, it } from 'vitest';
import type { Envelope } from '@sluice/core';
import {
  DECODE_ERROR_HEADER,
  EnvelopeEncodeError,
  compareStreamIds,
  decodeEntry,
  encodeEnvelope,
  nextStreamId,
  parseEntries,
  parseReadReply,
} from '../src/codec.js';
import { parseGroupsReply } from '../src/groups.js';
import { trimThreshold } from '../src/trim.js';

describe('envelope codec', () => {
  const envelopes: Envelope[] = [
    { key: 'metric:1:2', value: { id: 'm1', val: 1.5, nested: [1, 'two', null, { x: true }] }, timestamp: 1_700_000_000_123, headers: { source: 'csv', 'trace-id': 'ü €' } },
    { key: '', value: null, timestamp: 0, headers: {} },
    { key: 'k', value: 'a "quoted"\nstring', timestamp: -5, headers: { empty: '' } },
    { key: 'k', value: [], timestamp: 1.5, headers: {} },
  ];

  it.each(envelopes.map((envelope) => [envelope.key, envelope] as const))('round-trips envelope %j', (_, envelope) => {
    const fields = encodeEnvelope(envelope);
    expect(Object.keys(fields)).toEqual(['key', 'value', 'timestamp', 'headers']);
    expect(Object.values(fields).every((v) => typeof v === 'string')).toBe(true);
    expect(decodeEntry({ id: '1-0', fields })).toEqual(envelope);
  });

  it('refuses what would not survive the round trip, naming the member', () => {
    const good = envelopes[0]!;
    const cases: [unknown, RegExp][] = [
      [{ ...good, key: 42 }, /key must be a string/],
      [{ ...good, timestamp: Number.NaN }, /timestamp/],
      [{ ...good, timestamp: '2024-01-01' }, /timestamp/],
      [{ ...good, value: undefined }, /value is undefined/],
      [{ ...good, value: 10n }, /value cannot be written as JSON/],
      [{ ...good, headers: { n: 1 } }, /headers must be an object whose values are strings/],
      [null, /null/],
    ];
    for (const [envelope, message] of cases) {
      expect(() => encodeEnvelope(envelope as Envelope)).toThrow(EnvelopeEncodeError);
      expect(() => encodeEnvelope(envelope as Envelope)).toThrow(message);
    }
  });

  it('delivers an entry not written by Sluice with what it has and a header saying what is wrong', () => {
    const envelope = decodeEntry({ id: '5-1', fields: { value: 'not json', timestamp: 'soon' } });
    expect(envelope.key).toBe('5-1');
    expect(envelope.value).toBe('not json');
    expect(envelope.timestamp).toBe(0);
    expect(envelope.headers[DECODE_ERROR_HEADER]).toMatch(/stream entry 5-1: field "key" is missing; field "value" is not JSON; field "timestamp" is not a number/);
    expect(decodeEntry({ id: '1-0', fields: { key: 'k', value: '1', timestamp: '1', headers: '[1]' } }).headers).toEqual({
      [DECODE_ERROR_HEADER]: 'stream entry 1-0: field "headers" is not an object of strings',
    });
  });
});

describe('stream replies and ids', () => {
  it('parses entries, and pending entries deleted from the stream apart', () => {
    const raw = [['1-0', ['key', 'a', 'value', '1']], ['2-0', null]];
    expect(parseEntries(raw)).toEqual({ entries: [{ id: '1-0', fields: { key: 'a', value: '1' } }], deleted: ['2-0'] });
    expect(parseReadReply([['stream', raw]])).toEqual(parseEntries(raw));
    expect(parseReadReply(null)).toEqual({ entries: [], deleted: [] });
  });

  it('orders ids numerically and finds the next one', () => {
    expect(compareStreamIds('9-0', '10-0')).toBeLessThan(0);
    expect(compareStreamIds('10-2', '10-10')).toBeLessThan(0);
    expect(compareStreamIds('10-2', '10-2')).toBe(0);
    expect(compareStreamIds('1700000000000-0', '999-5')).toBeGreaterThan(0);
    expect(nextStreamId('5-9')).toBe('5-10');
    expect(nextStreamId('0-0')).toBe('0-1');
    expect(nextStreamId('5-18446744073709551615')).toBe('6-0');
    expect(() => nextStreamId('x')).toThrow(/not a Redis stream id/);
  });

  it('parses XINFO GROUPS by field name, with an unknown lag as null', () => {
    const raw = [
      ['name', 'g1', 'consumers', 2, 'pending', 3, 'last-delivered-id', '7-0', 'entries-read', 7, 'lag', 4],
      ['name', 'g2', 'consumers', 0, 'pending', 0, 'last-delivered-id', '0-0', 'entries-read', null, 'lag', null],
    ];
    expect(parseGroupsReply(raw)).toEqual([
      { name: 'g1', pending: 3, lastDeliveredId: '7-0', lag: 4 },
      { name: 'g2', pending: 0, lastDeliveredId: '0-0', lag: null },
    ]);
  });
});

describe('trim threshold', () => {
  it('keeps everything without groups', () => {
    expect(trimThreshold([])).toBeUndefined();
  });

  it('keeps from the lowest pending id, or past the last delivered one, of the slowest group', () => {
    expect(trimThreshold([{ lastDeliveredId: '10-0' }])).toBe('10-1');
    expect(trimThreshold([{ lastDeliveredId: '10-0', lowestPendingId: '4-0' }])).toBe('4-0');
    expect(trimThreshold([{ lastDeliveredId: '10-0' }, { lastDeliveredId: '9-3' }])).toBe('9-4');
    expect(trimThreshold([{ lastDeliveredId: '10-0' }, { lastDeliveredId: '12-0', lowestPendingId: '8-0' }])).toBe('8-0');
    // A group that has received nothing keeps the whole stream.
    expect(trimThreshold([{ lastDeliveredId: '10-0' }, { lastDeliveredId: '0-0' }])).toBe('0-1');
  });
});
