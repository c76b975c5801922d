/**
 * Ceiling `rabbitmq-copy-minimal`, one process per role, on the topology the RabbitMQ adapter uses
 * (a durable fanout exchange and the group's durable quorum queue, made by the parent). `produce`
 * publishes the file's raw lines as persistent messages on a confirm channel, 1,000 per batch, and
 * waits for RabbitMQ's confirms of each batch before the next. `consume` takes pushed messages with
 * a prefetch of two batches (the next batch arrives while one is written), writes each 1,000 with
 * COPY + upsert in one transaction, then acks them with one `basic.ack multiple`, until it has
 * written every row.
 */
import { createRequire } from 'node:module';
import { need } from '../lib/config.js';
import { lineBatches } from '../lib/lines.js';
import { MinimalPgWriter } from '../lib/pg-minimal.js';
import { runWorker } from '../lib/worker.js';

/** The little of amqplib used here; bench/ does not list it, so it loads from the RabbitMQ adapter's dependencies. */
interface Message {
  content: Buffer;
}
interface Channel {
  publish(exchange: string, routingKey: string, content: Buffer, options: { persistent: boolean }): boolean;
  waitForConfirms(): Promise<void>;
  prefetch(count: number): Promise<unknown>;
  consume(queue: string, onMessage: (message: Message | null) => void, options: { noAck: boolean }): Promise<unknown>;
  ack(message: Message, allUpTo: boolean): void;
  once(event: 'drain', listener: () => void): void;
}
interface Connection {
  createChannel(): Promise<Channel>;
  createConfirmChannel(): Promise<Channel>;
  close(): Promise<void>;
}
const amqp = createRequire(import.meta.url)('amqplib') as { connect(url: string): Promise<Connection> };

await runWorker('rabbitmq-minimal', async (config) => {
  const topic = need(config, 'topic', 'rabbitmq-minimal');
  const group = need(config, 'group', 'rabbitmq-minimal');
  const exchange = `sluice.${topic}`;
  const connection = await amqp.connect(config.rabbitmqUrl);
  if (need(config, 'role', 'rabbitmq-minimal') === 'produce') {
    const channel = await connection.createConfirmChannel();
    return {
      work: async () => {
        let rows = 0;
        for await (const lines of lineBatches(config.file, { batchSize: config.batchSize, limit: config.rows })) {
          for (const line of lines) {
            if (!channel.publish(exchange, '', Buffer.from(line), { persistent: true })) await new Promise<void>((resolve) => channel.once('drain', resolve));
          }
          await channel.waitForConfirms();
          rows += lines.length;
        }
        return { rows };
      },
      close: () => connection.close(),
    };
  }
  const channel = await connection.createChannel();
  const writer = await MinimalPgWriter.connect(config.pgUrl, config.schema, config.table);
  const buffer: Message[] = [];
  let wake: (() => void) | undefined;
  await channel.prefetch(config.batchSize * 2);
  await channel.consume(
    `${exchange}|${group}`,
    (message) => {
      if (!message) return;
      buffer.push(message);
      wake?.();
    },
    { noAck: false },
  );
  return {
    work: async (clock) => {
      let rows = 0;
      while (rows < config.rows) {
        const want = Math.min(config.batchSize, config.rows - rows);
        while (buffer.length < want) await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
        const batch = buffer.splice(0, want);
        await writer.write(
          batch.map((message) => message.content.toString('utf8')),
          'merge',
        );
        channel.ack(batch[batch.length - 1]!, true);
        rows += batch.length;
      }
      clock.end();
      return { rows };
    },
    close: async () => {
      await writer.close();
      await connection.close();
    },
  };
});
