/** The broker contract against a real RabbitMQ (start it with `bash scripts/rabbitmq.sh start`). */
import { brokerContract, rabbitmqUrl, requireService } from '@sluice/core/testkit';
import { afterAll, describe, it } from 'vitest';
import type { RabbitMqBroker } from '../src/index.js';
import { TestBrokers } from './helpers.js';

const reachable = await requireService('RabbitMQ', rabbitmqUrl, 'bash scripts/rabbitmq.sh start');
const brokers = new TestBrokers();

describe.skipIf(!reachable)('rabbitmq broker: contract', () => {
  afterAll(() => brokers.cleanup());

  brokerContract(it, {
    create: async () => brokers.create(),
    visibilityTimeoutMs: 500,
    // RabbitMQ has no visibility timeout for a live consumer (see README): its `consumer_timeout` is
    // server-wide and closes the whole channel.
    redeliversFromLiveConsumers: false,
    // A group is a queue: it keeps what is published after it exists (see README).
    declareGroup: (broker, topic, group) => (broker as RabbitMqBroker).declareGroup(topic, group),
  });
});
