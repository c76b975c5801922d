/**
 * The exchanges and queues of topics and groups: declared idempotently, remembered per broker so a
 * publish declares its topic once, and read back for `lag()`.
 *
 * - topic → durable **fanout** exchange: every queue bound to it gets every message, whatever its
 *   routing key (the envelope key travels in a header: it may be longer than a routing key's 255 bytes,
 *   and no group filters by key).
 * - group → durable **quorum** queue bound to the exchange, with `x-delivery-limit` and, past it,
 *   dead-lettering (at-least-once) through the default exchange to the group's dead-letter queue.
 */
import type { Channel, ChannelModel } from 'amqplib';
import type { Names } from './options.js';
import { replyCodeOf } from './errors.js';

/** The arguments of a group's quorum queue. */
export function groupQueueArguments(deliveryLimit: number, deadLetterQueue: string): Record<string, unknown> {
  return {
    'x-queue-type': 'quorum',
    'x-delivery-limit': deliveryLimit,
    'x-dead-letter-exchange': '',
    'x-dead-letter-routing-key': deadLetterQueue,
    // RabbitMQ keeps a dead-lettered message in the source queue until the dead-letter queue has it.
    'x-dead-letter-strategy': 'at-least-once',
    'x-overflow': 'reject-publish',
  };
}

/** Runs `fn` on a channel of its own, closed afterwards (a failed declaration closes its channel). */
export async function withChannel<R>(connection: Promise<ChannelModel>, fn: (channel: Channel) => Promise<R>): Promise<R> {
  const channel = await (await connection).createChannel();
  let failed = false;
  channel.on('error', () => {
    failed = true;
  });
  try {
    return await fn(channel);
  } finally {
    if (!failed) await channel.close().catch(() => undefined);
  }
}

/** Declares the topic's exchange. */
export async function declareTopic(channel: Channel, names: Names, topic: string): Promise<void> {
  await channel.assertExchange(names.exchange(topic), 'fanout', { durable: true });
}

/** Declares the topic's exchange, the group's queue and dead-letter queue, and binds the queue. */
export async function declareGroup(channel: Channel, names: Names, topic: string, group: string, deliveryLimit: number): Promise<string> {
  const exchange = names.exchange(topic);
  const queue = names.queue(topic, group);
  const deadLetters = names.deadLetterQueue(topic, group);
  await channel.assertExchange(exchange, 'fanout', { durable: true });
  await channel.assertQueue(deadLetters, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
  await channel.assertQueue(queue, { durable: true, arguments: groupQueueArguments(deliveryLimit, deadLetters) });
  await channel.bindQueue(queue, exchange, '');
  return queue;
}

/** Messages ready in a queue (not handed out), or `undefined` when the queue does not exist. */
export async function readyCount(connection: Promise<ChannelModel>, queue: string): Promise<number | undefined> {
  try {
    return await withChannel(connection, async (channel) => (await channel.checkQueue(queue)).messageCount);
  } catch (error) {
    if (replyCodeOf(error) === 404) return undefined;
    throw error;
  }
}

/** Remembers what a broker has declared, so each topic and group is declared once per broker. */
export class DeclaredOnce {
  private readonly done = new Map<string, Promise<void>>();

  /** Runs `declare` unless a run for `id` succeeded or is under way; a failed run is forgotten. */
  ensure(id: string, declare: () => Promise<void>): Promise<void> {
    let running = this.done.get(id);
    if (!running) {
      running = declare();
      this.done.set(id, running);
      running.catch(() => this.done.delete(id));
    }
    return running;
  }

  /** Forgets `id` and everything under it (`id` + `|`), e.g. after a publish found no queue bound. */
  forget(id: string): void {
    for (const key of [...this.done.keys()]) if (key === id || key.startsWith(`${id}|`)) this.done.delete(key);
  }
}
