/** Shared pieces of the Redis-specific tests: an admin connection, cleanup, test data. */
import { createClient, type RedisClientType } from 'redis';
import { randomName, serviceUrls } from '@sluice/core/testkit';
import type { Envelope } from '@sluice/core';
import { createRedisBroker, decodeEntry, type RedisBroker, type RedisBrokerOptions } from '../src/index.js';

/**
 * A test bench: an admin client of its own, brokers with a random stream prefix and client name,
 * and cleanup of every key under that prefix.
 */
export class RedisBench {
  readonly prefix = `${randomName('sluice_test')}:`;
  readonly clientName = randomName('sluice_test');
  readonly admin = createClient({ url: serviceUrls.redis }) as unknown as RedisClientType;
  private readonly brokers: RedisBroker[] = [];

  async start(): Promise<void> {
    this.admin.on('error', () => undefined);
    await this.admin.connect();
  }

  /** A broker on the bench's prefix; trimming by timer is off unless asked for. */
  broker(options: RedisBrokerOptions = {}): RedisBroker {
    const broker = createRedisBroker({
      url: serviceUrls.redis,
      streamPrefix: this.prefix,
      clientName: this.clientName,
      trimIntervalMs: 0,
      ...options,
    });
    this.brokers.push(broker);
    return broker;
  }

  /** Closes the brokers and deletes every key under the prefix. */
  async cleanup(): Promise<void> {
    await Promise.all(this.brokers.splice(0).map((broker) => broker.close()));
    const keys: string[] = [];
    for await (const batch of this.admin.scanIterator({ MATCH: `${this.prefix}*`, COUNT: 1000 })) keys.push(...batch);
    if (keys.length > 0) await this.admin.del(keys);
  }

  async stop(): Promise<void> {
    await this.cleanup();
    await this.admin.close();
  }

  /** The envelopes stored in the stream at `key`, oldest first, decoded as a consumer would. */
  async stored(key: string, count?: number): Promise<Envelope[]> {
    const entries = await this.admin.xRange(key, '-', '+', count === undefined ? undefined : { COUNT: count });
    return entries.map(({ id, message }) => decodeEntry({ id, fields: Object.entries(message).flat() }));
  }

  /** Kills the server side of every connection whose name contains `fragment`; returns how many. */
  async kill(fragment: string): Promise<number> {
    const victims = (await this.admin.clientList()).filter((info) => info.name.includes(fragment));
    for (const info of victims) await this.admin.sendCommand(['CLIENT', 'KILL', 'ID', String(info.id)]);
    return victims.length;
  }
}

/** `count` envelopes keyed `<prefix><i>` with `{ seq: i }` values. */
export function envelopes(count: number, prefix = 'k-', from = 0): Envelope<{ seq: number }>[] {
  return Array.from({ length: count }, (_, n) => ({
    key: `${prefix}${from + n}`,
    value: { seq: from + n },
    timestamp: 1_700_000_000_000 + from + n,
    headers: {},
  }));
}

/** Polls `probe` until it returns true; rejects with `what` after `timeoutMs`. */
export async function eventually(probe: () => Promise<boolean> | boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
