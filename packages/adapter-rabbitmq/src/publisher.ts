/**
 * Publishing with publisher confirms: one confirm channel per broker, messages sent `mandatory`,
 * and a publish resolves only when RabbitMQ has confirmed every message of its batch — for a quorum
 * queue, once a majority of its replicas has it on disk. A nack, a lost channel or a message RabbitMQ
 * returned because no queue was bound rejects the whole call with a retriable `BrokerError`
 * (publishing again may duplicate some envelopes: at-least-once, stores upsert on the key).
 */
import { BrokerError, describeError } from '@sluice/core';
import { RabbitMqBrokerError, replyCodeOf } from './errors.js';
import type { ConfirmChannel, Message } from 'amqplib';
import type { EncodedMessage } from './codec.js';
import type { AmqpConnection } from './connection.js';

/** What one publish call is waiting for. */
interface Pending {
  returned: number;
}

/** Why a batch was not confirmed in full. */
export class PublishRefused extends Error {
  constructor(
    readonly kind: 'unroutable' | 'unconfirmed',
    readonly count: number,
    readonly total: number,
    readonly firstError?: unknown,
  ) {
    super(kind === 'unroutable' ? `${count} of ${total} messages were returned unroutable` : `${count} of ${total} messages were not confirmed`);
  }
}

/** The confirm channel of a broker and the publishes waiting on it. */
export class Publisher {
  private channel: Promise<ConfirmChannel> | undefined;
  private readonly pending = new Map<string, Pending>();

  constructor(private readonly connection: AmqpConnection) {}

  /**
   * Sends `messages` to `exchange` and waits for every confirm. Rejects with `PublishRefused`
   * (nacked, lost, or returned unroutable) or with amqplib's error when no channel could be opened.
   */
  async send(exchange: string, correlationId: string, messages: readonly EncodedMessage[]): Promise<void> {
    const channel = await this.openChannel();
    const state: Pending = { returned: 0 };
    this.pending.set(correlationId, state);
    try {
      await new Promise<void>((resolve, reject) => {
        let waiting = messages.length;
        let failed = 0;
        let firstError: unknown;
        const confirmed = (error: unknown) => {
          if (error) {
            failed++;
            firstError ??= error;
          }
          if (--waiting > 0) return;
          if (failed > 0) reject(new PublishRefused('unconfirmed', failed, messages.length, firstError));
          else if (state.returned > 0) reject(new PublishRefused('unroutable', state.returned, messages.length));
          else resolve();
        };
        void this.write(channel, exchange, messages, confirmed).catch((error: unknown) => {
          // The channel failed under the loop; every message not yet written counts as not confirmed.
          firstError ??= error;
        });
      });
    } finally {
      this.pending.delete(correlationId);
    }
  }

  /** Closes the confirm channel; publishes waiting on it reject. */
  async close(): Promise<void> {
    const channel = this.channel;
    this.channel = undefined;
    await channel?.then((open) => open.close()).catch(() => undefined);
  }

  /** Writes the messages in order (`options` say `mandatory`), waiting for `drain` whenever the channel's buffer is full. */
  private async write(
    channel: ConfirmChannel,
    exchange: string,
    messages: readonly EncodedMessage[],
    confirmed: (error: unknown) => void,
  ): Promise<void> {
    let index = 0;
    try {
      for (; index < messages.length; index++) {
        const { content, options } = messages[index]!;
        const room = channel.publish(exchange, '', content, options, confirmed);
        if (!room && index + 1 < messages.length) await drained(channel);
      }
    } catch (error) {
      // publish() threw (channel closed): the rest never went out.
      for (let rest = index; rest < messages.length; rest++) confirmed(error ?? new Error('channel closed'));
      throw error;
    }
  }

  private openChannel(): Promise<ConfirmChannel> {
    if (!this.channel) {
      const opening = this.connection.get().then(async (model) => {
        const channel = await model.createConfirmChannel();
        channel.on('error', () => undefined);
        channel.on('close', () => {
          if (this.channel === opening) this.channel = undefined;
        });
        channel.on('return', (message: Message) => {
          const state = this.pending.get(String(message.properties.correlationId));
          if (state) state.returned++;
        });
        return channel;
      });
      this.channel = opening;
      opening.catch(() => {
        if (this.channel === opening) this.channel = undefined;
      });
    }
    return this.channel;
  }
}

/** Resolves on the channel's next `drain` or `close`. */
function drained(channel: ConfirmChannel): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      channel.off('drain', done);
      channel.off('close', done);
      resolve();
    };
    channel.on('drain', done);
    channel.on('close', done);
  });
}

/** Whether an error is the publisher saying RabbitMQ had no queue for some messages. */
export function isUnroutable(error: unknown): error is PublishRefused {
  return error instanceof PublishRefused && error.kind === 'unroutable';
}

/** A `BrokerError` for a publish whose messages RabbitMQ returned: no group queue was bound. */
export function unroutableError(topic: string, exchange: string, refused: PublishRefused, unit = 'envelopes'): BrokerError {
  return new BrokerError(
    `RabbitMQ had no queue for ${refused.count} of ${refused.total} ${unit} published to topic "${topic}" ` +
      `(exchange "${exchange}" has no consumer group bound) and returned them: nothing was kept for them. ` +
      'A group receives only what is published after its queue exists: declare the groups before publishing ' +
      '(broker option `groups`, or `broker.declareGroup(topic, group)`), or start a consumer of the group first; ' +
      'retrying may succeed once a group exists',
    'publish',
    topic,
    { retriable: true, cause: refused },
  );
}

/** A retriable `BrokerError` for a publish of which RabbitMQ confirmed only part (nack, lost channel). */
export function unconfirmedError(topic: string, refused: PublishRefused, unit = 'envelopes'): BrokerError {
  return new RabbitMqBrokerError(
    `RabbitMQ did not confirm ${refused.count} of ${refused.total} ${unit} published to topic "${topic}" ` +
      `(${refused.firstError === undefined ? 'nacked' : describeError(refused.firstError)}): the channel or connection was lost, ` +
      'or RabbitMQ refused them. Publish the batch again: some envelopes may then arrive twice (stores upsert on the key)',
    'publish',
    topic,
    { retriable: true, cause: refused.firstError ?? refused },
    replyCodeOf(refused.firstError),
  );
}
