/**
 * Helpers of the RabbitMQ tests: a broker whose topics and groups are remembered, so that everything a
 * test declared (exchanges, group queues, dead-letter queues) is deleted at the end.
 */
import amqp from 'amqplib';
import { randomName, rabbitmqUrl } from '@sluice/core/testkit';
import { createRabbitMqBroker, namesOf, type RabbitMqBroker, type RabbitMqBrokerOptions } from '../src/index.js';

/** Brokers on one random prefix, and the cleanup of everything they declared. */
export class TestBrokers {
  readonly prefix = `${randomName('sluice_test')}.`;
  private readonly topics = new Set<string>();
  private readonly groups = new Set<string>();

  /** A broker under this prefix that records the topics and groups it touches. */
  create(options: RabbitMqBrokerOptions = {}): RabbitMqBroker {
    const broker = createRabbitMqBroker({ url: rabbitmqUrl, prefix: this.prefix, ...options });
    const record = (topic: unknown, group?: unknown) => {
      if (typeof topic !== 'string') return;
      this.topics.add(topic);
      if (typeof group === 'string') this.groups.add(JSON.stringify([topic, group]));
    };
    return new Proxy(broker, {
      get: (target, property, receiver) => {
        const value = Reflect.get(target, property, receiver) as unknown;
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          const [topic, second] = args;
          record(topic, typeof second === 'string' ? second : (second as { group?: unknown } | undefined)?.group);
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
  }

  /** Deletes every exchange and queue the brokers of this prefix may have declared. */
  async cleanup(): Promise<void> {
    const names = namesOf(this.prefix);
    const connection = await amqp.connect(rabbitmqUrl);
    try {
      for (const entry of this.groups) {
        const [topic, group] = JSON.parse(entry) as [string, string];
        await deleteQuietly(connection, (channel) => channel.deleteQueue(names.queue(topic, group)));
        await deleteQuietly(connection, (channel) => channel.deleteQueue(names.deadLetterQueue(topic, group)));
      }
      for (const topic of this.topics) await deleteQuietly(connection, (channel) => channel.deleteExchange(names.exchange(topic)));
    } finally {
      await connection.close();
    }
  }
}

/** Runs one deletion on a channel of its own (a failure closes only that channel). */
async function deleteQuietly(connection: amqp.ChannelModel, fn: (channel: amqp.Channel) => Promise<unknown>): Promise<void> {
  const channel = await connection.createChannel();
  channel.on('error', () => undefined);
  try {
    await fn(channel);
    await channel.close();
  } catch {
    // Never declared, or already gone.
  }
}
