import { describe, expect, it } from 'vitest';
import { BrokerError } from '../errors.js';
import { createMemoryBroker } from '../broker/memory-broker.js';
import { generatorSource } from '../sources/generator-source.js';
import type { RetryOptions } from '../retry.js';
import { ingest } from './ingest.js';
import { PublishAhead } from './publish-ahead.js';

const options: RetryOptions = { operation: 'publish to t', policy: { initialDelayMs: 1, maxDelayMs: 1, maxAttempts: 4 } };

/** A broker stand-in that records what it was sent, confirms after `delayMs`, and fails the sends `failing` names (1-based, in start order). */
function fakeBroker(delayMs: number, failing: ReadonlySet<number> = new Set()) {
  const sent: string[][] = [];
  let sends = 0;
  let running = 0;
  let mostRunning = 0;
  const send = async (envelopes: readonly string[]) => {
    const number = ++sends;
    running++;
    mostRunning = Math.max(mostRunning, running);
    try {
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      if (failing.has(number)) throw new BrokerError(`send ${number} lost`, 'publish', 't', { retriable: true });
      sent.push([...envelopes]);
    } finally {
      running--;
    }
  };
  return { send, sent, stats: () => ({ sends, mostRunning }) };
}

/** The last value each key holds after `sent` was applied in order (what an upserting store keeps). */
function lastByKey(sent: string[][]): Map<string, string> {
  const last = new Map<string, string>();
  for (const batch of sent) for (const item of batch) last.set(item.split('=')[0]!, item);
  return last;
}

describe('PublishAhead', () => {
  it('runs at most `limit` sends at once and finishes them in order', async () => {
    const broker = fakeBroker(5);
    const ahead = new PublishAhead<string>(2, broker.send);
    const batches = [0, 1, 2, 3, 4].map((i) => ahead.start([`k${i}=v`]));
    for (const batch of batches) await ahead.finish(batch, options);
    expect(broker.sent).toEqual([['k0=v'], ['k1=v'], ['k2=v'], ['k3=v'], ['k4=v']]);
    expect(broker.stats()).toEqual({ sends: 5, mostRunning: 2 });
  });

  it('sends again, after a failed batch, every batch started before the resend, so the newest value of a key lands last', async () => {
    // Send 1 (batch 0) fails while send 2 (batch 1, the newer value of key a) is confirmed.
    const broker = fakeBroker(5, new Set([1]));
    const ahead = new PublishAhead<string>(2, broker.send);
    const first = ahead.start(['a=old', 'b=1']);
    const second = ahead.start(['a=new']);
    await ahead.finish(first, options);
    const third = ahead.start(['c=1']);
    await ahead.finish(second, options);
    await ahead.finish(third, options);
    // Started after every resend had been confirmed: its first send stands.
    await ahead.finish(ahead.start(['d=1']), options);
    expect(broker.sent.at(-1)).toEqual(['d=1']);
    broker.sent.pop();
    expect(lastByKey(broker.sent).get('a')).toBe('a=new');
    // Batch 1 went again after batch 0's resend; batch 2 started while batch 1's resend was on its way, so it went again too.
    expect(broker.sent.slice(0, 2)).toEqual([['a=new'], ['a=old', 'b=1']]);
    expect(broker.sent.slice(2).sort()).toEqual([['a=new'], ['c=1'], ['c=1']]);
    expect(broker.stats().sends).toBe(7); // 4 first sends, 3 again
  });

  it('counts the failed first send as attempt 1 of the retry budget and reports each retry', async () => {
    const broker = fakeBroker(1, new Set([1, 2, 3, 4]));
    const ahead = new PublishAhead<string>(1, broker.send);
    const retries: number[] = [];
    const batch = ahead.start(['a=1']);
    await expect(ahead.finish(batch, { ...options, onRetry: (notice) => retries.push(notice.attempt) })).rejects.toThrow('failed 4 times in a row');
    expect(retries).toEqual([1, 2, 3]);
    expect(broker.stats().sends).toBe(4);
  });

  it('does not retry a failure that is not retriable', async () => {
    const ahead = new PublishAhead<string>(2, async () => {
      throw new BrokerError('refused: bad envelope', 'publish', 't');
    });
    await expect(ahead.finish(ahead.start(['a=1']), options)).rejects.toThrow('refused: bad envelope');
  });

  it('refuses a limit below 1', () => {
    expect(() => new PublishAhead<string>(0, async () => undefined)).toThrow(RangeError);
  });
});

describe('ingest publishing ahead', () => {
  it('keeps publish order per key and counts every record once when a publish fails mid-run', async () => {
    const inner = createMemoryBroker();
    let publishes = 0;
    const broker = {
      ...inner,
      publish: async (topic: string, envelopes: Parameters<typeof inner.publish>[1]) => {
        publishes++;
        await new Promise((resolve) => setTimeout(resolve, 2));
        if (publishes === 3) throw new BrokerError('connection lost', 'publish', topic, { retriable: true });
        return inner.publish(topic, envelopes);
      },
    };
    // Every record updates one of 7 keys, so consecutive batches share keys.
    const source = generatorSource({ name: 'gen', count: 500, make: (i) => ({ id: i % 7, version: i }), chunkSize: 50 });
    const run = ingest<{ id: number; version: number }>({ source, broker, topic: 't', key: (v) => `k${v.id}`, batchSize: 50, retry: { initialDelayMs: 1 } });
    const summary = await run.done;
    expect(summary.published).toBe(500);
    const received = new Map<string, number>();
    const consumer = inner.consume<{ id: number; version: number }>('t', { group: 'g', batchSize: 1000 }).subscribe((delivery) => {
      for (const envelope of delivery.envelopes) received.set(envelope.key, envelope.value.version);
      void delivery.ack();
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    consumer.unsubscribe();
    const newest = new Map<string, number>();
    for (let i = 0; i < 500; i++) newest.set(`k${i % 7}`, i);
    expect(received).toEqual(newest);
    expect(publishes).toBeGreaterThan(10); // 10 batches, one failed send and the sends behind it again
  });
});
