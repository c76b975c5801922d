/** The broker contract against a real Kafka (start it with `pnpm services:up`). */
import { brokerContract, requireService, serviceUrls } from '@sluice/core/testkit';
import { describe, it } from 'vitest';
import { createKafkaBroker } from './index.js';

const reachable = await requireService('Kafka', serviceUrls.kafka, 'pnpm services:up');

describe.skipIf(!reachable)('kafka broker: contract', () => {
  brokerContract(it, {
    // The adapter's default of several partitions per topic: order holds per key, as the contract asks.
    create: async () => createKafkaBroker({ brokers: serviceUrls.kafka }),
    visibilityTimeoutMs: 500,
    waitMs: 30_000,
    redeliversFromLiveConsumers: false,
  });
});
