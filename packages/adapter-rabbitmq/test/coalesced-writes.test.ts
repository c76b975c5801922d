/**
 * Corked writes against a real RabbitMQ: a burst of publishes leaves the socket in a few `writev`s
 * instead of one write per message, and every message still arrives, in order.
 */
import { randomName, rabbitmqUrl, requireService } from '@sluice/core/testkit';
import amqp from 'amqplib';
import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { coalesceWrites } from '../src/coalesced-writes.js';

const reachable = await requireService('RabbitMQ', rabbitmqUrl, 'bash scripts/rabbitmq.sh start');

/** Publishes `count` messages in one synchronous burst and returns how many socket writes carried them and what the queue got. */
async function burst(corked: boolean, count: number): Promise<{ writes: number; received: string[] }> {
  const model = await amqp.connect(rabbitmqUrl);
  const queue = randomName('sluice_test_cork');
  try {
    if (corked) expect(coalesceWrites(model)).toBe(true);
    const socket = (model as unknown as { connection: { stream: Socket } }).connection.stream;
    let writes = 0;
    const write = socket._write.bind(socket);
    const writev = socket._writev?.bind(socket);
    socket._write = (...args: Parameters<Socket['_write']>) => {
      writes++;
      write(...args);
    };
    if (writev) {
      socket._writev = (...args: Parameters<NonNullable<Socket['_writev']>>) => {
        writes++;
        writev(...args);
      };
    }
    const channel = await model.createConfirmChannel();
    await channel.assertQueue(queue, { autoDelete: false, durable: false });
    writes = 0;
    for (let i = 0; i < count; i++) channel.sendToQueue(queue, Buffer.from(`m${i}`));
    await channel.waitForConfirms();
    const sent = writes;
    const received: string[] = [];
    await channel.consume(queue, (message) => message && received.push(message.content.toString()), { noAck: true });
    for (let waited = 0; received.length < count && waited < 10_000; waited += 20) await new Promise((resolve) => setTimeout(resolve, 20));
    await channel.deleteQueue(queue);
    return { writes: sent, received };
  } finally {
    await model.close();
  }
}

describe.skipIf(!reachable)('coalesceWrites', () => {
  it('sends a burst of publishes in far fewer socket writes, every message in order', async () => {
    const expected = Array.from({ length: 500 }, (_, i) => `m${i}`);
    const plain = await burst(false, 500);
    const corked = await burst(true, 500);
    expect(plain.received).toEqual(expected);
    expect(corked.received).toEqual(expected);
    expect(plain.writes).toBeGreaterThanOrEqual(50);
    expect(corked.writes).toBeLessThan(plain.writes / 10);
  });

  it('leaves a connection it does not recognise alone', () => {
    expect(coalesceWrites({} as amqp.ChannelModel)).toBe(false);
    expect(coalesceWrites({ connection: { muxer: { out: {} } } } as unknown as amqp.ChannelModel)).toBe(false);
  });
});
