/** Pure parts of the Redis broker: envelope codec, stream ids, reply parsing, trim threshold. */
import { describe, expect, it } from 'vitest';
import type { Envelope } from '@sluice/core';
import { DECODE_ERROR_HEADER, ENVELOPE_FIELD, decodeEntry, encodeEnvelope } from '../src/codec.js';
import { EnvelopeEncodeError } from '../src/errors.js';
import { parseEntries, parseReadReply } from '../src/replies.js';
import { compareStreamIds, nextStreamId } from '../src/stream-ids.js';
import { parseGroupsReply } from '../src/groups.js';
import { trimThreshold } from '../src/trim.js';

describe('envelope codec', () => {
  const envelopes: Envelope[] = [
    { key: 'metric:1:2', value: { id: 'm1', val: 1.5, nested: [1, 'two', null, { x: true }] }, timestamp: 1_700_000_000_123, headers: { source: 'csv', 'trace-id': 'ü €' } },
    { key: '', value: null, timestamp: 0, headers: {} },
    { key: 'k', value: 'a "quoted"\nstring', timestamp: -5, headers: { empty: '' } },
    { key: 'k', value: [], timestamp: 1.5, headers: {} },
  ];

  /** The entry Sluice writes for `envelope`. */
  const entry = (envelope: Envelope, id = '1-0') => ({ id, fields: [ENVELOPE_FIELD, encodeEnvelope(envelope)] });
  /** The entry an earlier Sluice wrote for `envelope`: four fields. */
  const fourFieldEntry = (envelope: Envelope, id = '1-0') => ({
    id,
    fields: ['key', envelope.key, 'value', JSON.stringify(envelope.value), 'timestamp', String(envelope.timestamp), 'headers', JSON.stringify(envelope.headers)],
  });

  it.each(envelopes.map((envelope) => [envelope.key, envelope] as const))('round-trips envelope %j in one field', (_, envelope) => {
    expect(decodeEntry(entry(envelope))).toEqual(envelope);
  });

  it.each(envelopes.map((envelope) => [envelope.key, envelope] as const))('reads envelope %j from four fields, as earlier versions wrote it', (_, envelope) => {
    expect(decodeEntry(fourFieldEntry(envelope))).toEqual(envelope);
  });

  it('keeps keys with line feeds, and headers that change from one envelope to the next', () => {
    const batch: Envelope[] = [
      { key: 'a\nb\n\nc\n', value: { text: 'x\ny' }, timestamp: 1, headers: { source: 's' } },
      { key: '\n', value: 1, timestamp: 2, headers: { source: 's' } },
      { key: 'k', value: 2, timestamp: 3, headers: { source: 's', trace: 't' } },
      { key: 'k', value: 3, timestamp: 4, headers: { trace: 't', source: 's' } },
      { key: 'k', value: 4, timestamp: 5, headers: { source: 'other' } },
      { key: 'k', value: 5, timestamp: 6, headers: {} },
      { key: 'k', value: 6, timestamp: 7, headers: { source: 'other' } },
    ];
    const decoded = batch.map((envelope) => decodeEntry(entry(envelope)));
    expect(decoded).toEqual(batch);
    expect(decoded.map((e) => Object.keys(e.headers))).toEqual(batch.map((e) => Object.keys(e.headers)));
    expect(decodeEntry(entry({ key: 'k', value: 0, timestamp: 0, headers: undefined as never })).headers).toEqual({});
  });

  it('gives every envelope a headers object of its own', () => {
    const envelope: Envelope = { key: 'k', value: 1, timestamp: 1, headers: { source: 's' } };
    const first = decodeEntry(entry(envelope));
    first.headers.source = 'changed';
    first.headers.added = 'x';
    expect(decodeEntry(entry(envelope)).headers).toEqual({ source: 's' });
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
      // Right after `good`, whose headers the encoder remembers: a changed value is still checked.
      [{ ...good, headers: { ...good.headers, 'trace-id': 5 } }, /headers must be an object whose values are strings/],
      [{ ...good, headers: ['csv'] }, /headers must be an object whose values are strings/],
      [{ ...good, headers: 'source=csv' }, /headers must be an object whose values are strings/],
      [null, /null/],
    ];
    for (const [envelope, message] of cases) {
      encodeEnvelope(good);
      expect(() => encodeEnvelope(envelope as Envelope)).toThrow(EnvelopeEncodeError);
      expect(() => encodeEnvelope(envelope as Envelope)).toThrow(message);
    }
  });

  it('delivers an entry not written by Sluice with what it has and a header saying what is wrong', () => {
    const envelope = decodeEntry({ id: '5-1', fields: ['value', 'not json', 'timestamp', 'soon'] });
    expect(envelope.key).toBe('5-1');
    expect(envelope.value).toBe('not json');
    expect(envelope.timestamp).toBe(0);
    expect(envelope.headers[DECODE_ERROR_HEADER]).toMatch(/stream entry 5-1: field "key" is missing; field "value" is not JSON; field "timestamp" is not a number/);
    expect(decodeEntry({ id: '1-0', fields: ['key', 'k', 'value', '1', 'timestamp', '1', 'headers', '[1]'] }).headers).toEqual({
      [DECODE_ERROR_HEADER]: 'stream entry 1-0: field "headers" is not an object of strings',
    });
    expect(decodeEntry({ id: '1-0', fields: [] })).toEqual({
      key: '1-0',
      value: null,
      timestamp: 0,
      headers: { [DECODE_ERROR_HEADER]: expect.stringMatching(/field "key" is missing; field "value" is missing; .*field "headers" is missing/) },
    });
  });

  it('delivers a malformed envelope field with what it has and a header saying what is wrong', () => {
    const inField = (part: string) => `the ${part} in field "envelope"`;
    const cases: [text: string, expected: Envelope][] = [
      ['12\n{}\n{"a":1}', { key: '7-0', value: '12\n{}\n{"a":1}', timestamp: 0, headers: { [DECODE_ERROR_HEADER]: 'field "envelope" is not <timestamp>, <headers>, <value> and <key> on lines of their own' } }],
      ['soon\n{"n":1}\n{not json\nkey', { key: 'key', value: '{not json', timestamp: 0, headers: {
        [DECODE_ERROR_HEADER]: `${inField('value')} is not JSON; ${inField('timestamp')} is not a number: soon; ${inField('headers')} is not an object of strings`,
      } }],
      ['5\n{\n"v"\nk', { key: 'k', value: 'v', timestamp: 5, headers: { [DECODE_ERROR_HEADER]: `${inField('headers')} is not JSON` } }],
    ];
    for (const [text, expected] of cases) {
      expected.headers[DECODE_ERROR_HEADER] = `stream entry 7-0: ${expected.headers[DECODE_ERROR_HEADER]}`;
      expect(decodeEntry({ id: '7-0', fields: [ENVELOPE_FIELD, text] })).toEqual(expected);
    }
  });

  it('reads the envelope field among other fields', () => {
    const envelope = envelopes[0]!;
    expect(decodeEntry({ id: '1-0', fields: ['other', 'x', ENVELOPE_FIELD, encodeEnvelope(envelope)] })).toEqual(envelope);
  });
});

describe('stream replies and ids', () => {
  it('parses entries, and pending entries deleted from the stream apart', () => {
    const raw = [['1-0', ['key', 'a', 'value', '1']], ['2-0', null]];
    expect(parseEntries(raw)).toEqual({ entries: [{ id: '1-0', fields: ['key', 'a', 'value', '1'] }], deleted: ['2-0'] });
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
