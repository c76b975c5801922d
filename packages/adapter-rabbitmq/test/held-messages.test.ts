/** The consumer's bookkeeping of unacked messages and deliveries, and its prefetch, without a server. */
import type { Envelope } from '@sluice/core';
import { describe, expect, it } from 'vitest';
import { HeldMessages } from '../src/held-messages.js';
import { nextPerMessage, prefetchFor, shouldChange } from '../src/prefetch.js';

/** `count` envelopes keyed `<name>-<i>`. */
function envelopes(name: string, count: number): Envelope<unknown>[] {
  return Array.from({ length: count }, (_, i) => ({ key: `${name}-${i}`, value: i, timestamp: i, headers: {} }));
}

/** Held messages named by letter, tags 1, 2, …, each with `sizes[i]` envelopes. */
function holding(...sizes: number[]): HeldMessages<string> {
  const held = new HeldMessages<string>();
  sizes.forEach((size, index) => held.add(String.fromCharCode(65 + index), index + 1, envelopes(String.fromCharCode(65 + index), size), 0));
  return held;
}

describe('held messages', () => {
  it('hands out one-envelope messages in order and acks a prefix with one multiple ack', () => {
    const held = holding(1, 1, 1, 1, 1);
    const first = held.take(2);
    const second = held.take(2);
    expect(first.envelopes.map((e) => e.key)).toEqual(['A-0', 'B-0']);
    expect(second.envelopes.map((e) => e.key)).toEqual(['C-0', 'D-0']);
    expect(held.buffered).toBe(1);
    expect(held.ack(first)).toEqual({ messages: ['A', 'B'], multiple: true });
    expect(held.ack(second)).toEqual({ messages: ['C', 'D'], multiple: true });
    expect(held.size).toBe(1);
  });

  it('acks each message on its own while an older delivery of the channel is unacked', () => {
    const held = holding(1, 1, 1, 1);
    const first = held.take(2);
    const second = held.take(2);
    expect(held.ack(second)).toEqual({ messages: ['C', 'D'], multiple: false });
    expect(held.ack(first)).toEqual({ messages: ['A', 'B'], multiple: true });
    expect(held.size).toBe(0);
  });

  it('splits a pack over deliveries and acks it once every delivery holding part of it is acked', () => {
    const held = holding(5, 3);
    const first = held.take(4);
    const second = held.take(4);
    expect(first.envelopes.map((e) => e.key)).toEqual(['A-0', 'A-1', 'A-2', 'A-3']);
    expect(second.envelopes.map((e) => e.key)).toEqual(['A-4', 'B-0', 'B-1', 'B-2']);
    expect(held.buffered).toBe(0);
    expect(held.ack(first)).toEqual({ messages: [], multiple: false });
    expect(held.ack(second)).toEqual({ messages: ['A', 'B'], multiple: true });
  });

  it('does not ack a pack before all of it has been handed out', () => {
    const held = holding(5);
    const first = held.take(2);
    expect(held.ack(first).messages).toEqual([]);
    const rest = held.take(10);
    expect(rest.envelopes).toHaveLength(3);
    expect(held.ack(rest)).toEqual({ messages: ['A'], multiple: true });
  });

  it('requeues the whole pack on a nack: the rest is not handed out, other deliveries of it ack nothing', () => {
    const held = holding(5, 1);
    const first = held.take(2);
    const second = held.take(2);
    expect(held.nack(first)).toEqual({ messages: ['A'], multiple: true });
    expect(held.buffered).toBe(1);
    expect(held.take(10).envelopes.map((e) => e.key)).toEqual(['B-0']);
    expect(held.ack(second)).toEqual({ messages: [], multiple: false });
    expect(held.size).toBe(1);
  });

  it('nacks a message on its own when an older one is still unacked', () => {
    const held = holding(1, 1);
    held.take(1);
    const second = held.take(1);
    expect(held.nack(second)).toEqual({ messages: ['B'], multiple: false });
  });

  it('forgets everything when the channel is gone, and keeps its counts over many messages', () => {
    const held = new HeldMessages<number>();
    for (let tag = 1; tag <= 3000; tag++) held.add(tag, tag, envelopes('m', 1), 0);
    let taken = 0;
    for (let round = 0; round < 2; round++) {
      const slice = held.take(1000);
      taken += slice.envelopes.length;
      expect(held.ack(slice).messages).toHaveLength(1000);
    }
    expect(taken).toBe(2000);
    expect(held.buffered).toBe(1000);
    expect(held.take(1).pieces[0]!.tag).toBe(2001);
    expect(held.clear()).toBe(1000);
    expect(held.buffered).toBe(0);
  });
});

describe('prefetch', () => {
  it('is batchSize × maxInFlight messages of one envelope, and packs holding as many envelopes plus one', () => {
    expect(prefetchFor(1000, 2, 1)).toBe(2000);
    expect(prefetchFor(1000, 2, 1000)).toBe(3);
    expect(prefetchFor(1000, 2, 500)).toBe(5);
    expect(prefetchFor(7, 2, 50)).toBe(2);
    expect(prefetchFor(1, 1, 5)).toBe(1);
  });

  it('follows the largest recent message, forgetting it by 10 % a message', () => {
    expect(nextPerMessage(undefined, 1000)).toBe(1000);
    expect(nextPerMessage(1000, 1)).toBe(900);
    expect(nextPerMessage(1, 1000)).toBe(1000);
  });

  it('starts the consumer over only when the prefetch that fits is more than half off', () => {
    expect(shouldChange(3, 5)).toBe(true);
    expect(shouldChange(3, 4)).toBe(false);
    expect(shouldChange(2000, 3)).toBe(true);
    expect(shouldChange(2000, 1335)).toBe(false);
  });
});
