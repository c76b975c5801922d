/**
 * The broker contract against a real RabbitMQ with packed messages (`packEnvelopes: true`): the
 * envelopes of one publish travel as one AMQP message. `lag()` then counts messages, not envelopes
 * (see README, "Packed messages"): the case that counts envelopes is skipped; everything else must
 * hold unchanged.
 */
import { brokerContract, rabbitmqUrl, requireService } from '@sluice/core/testkit';
import { afterAll, describe, it, type TestAPI } from 'vitest';
import type { RabbitMqBroker } from '../src/index.js';
import { TestBrokers } from './helpers.js';

const reachable = await requireService('RabbitMQ', rabbitmqUrl, 'bash scripts/rabbitmq.sh start');
const brokers = new TestBrokers();

const LAG_IN_ENVELOPES = /^lag counts what the group has not acked/;
const packedIt = new Proxy(it, {
  apply: (test, self, [name, ...rest]: unknown[]) => Reflect.apply(LAG_IN_ENVELOPES.test(String(name)) ? test.skip : test, self, [name, ...rest]),
}) as TestAPI;

describe.skipIf(!reachable)('rabbitmq broker: contract, packed messages', () => {
  afterAll(() => brokers.cleanup());

  brokerContract(packedIt, {
    create: async () => brokers.create({ packEnvelopes: true }),
    visibilityTimeoutMs: 500,
    redeliversFromLiveConsumers: false,
    declareGroup: (broker, topic, group) => (broker as RabbitMqBroker).declareGroup(topic, group),
  });
});
