/** The broker contract against a real Kafka (start it with `pnpm services:up`). */
import { brokerContract, requireService, serviceUrls } from '@sluice/core/testkit';
import { describe, it, type TestAPI } from 'vitest';
import { createKafkaBroker } from './index.js';

const reachable = await requireService('Kafka', serviceUrls.kafka, 'pnpm services:up');

/**
 * With packed records `lag()` counts records, not envelopes (see the option `packEnvelopes`): the
 * contract case that counts envelopes is skipped there; everything else must hold unchanged.
 */
const LAG_IN_ENVELOPES = /^lag counts what the group has not acked/;
const packedIt = new Proxy(it, {
  apply: (test, self, [name, ...rest]: unknown[]) => Reflect.apply(LAG_IN_ENVELOPES.test(String(name)) ? test.skip : test, self, [name, ...rest]),
}) as TestAPI;

for (const packEnvelopes of [false, true]) {
  describe.skipIf(!reachable)(`kafka broker: contract${packEnvelopes ? ', packed records' : ''}`, () => {
    brokerContract(packEnvelopes ? packedIt : it, {
      // The adapter's default of several partitions per topic: order holds per key, as the contract asks.
      create: async () => createKafkaBroker({ brokers: serviceUrls.kafka, packEnvelopes }),
      visibilityTimeoutMs: 500,
      waitMs: 30_000,
      redeliversFromLiveConsumers: false,
    });
  });
}
