/** The broker contract, run against a real Redis. */
import { afterAll, describe, it } from 'vitest';
import { createClient } from 'redis';
import { brokerContract, randomName, requireService, serviceUrls } from '@sluice/core/testkit';
import { createRedisBroker } from '@sluice/adapter-redis';

const up = await requireService('Redis', serviceUrls.redis);
/** Every stream of this run lives under one random prefix, deleted at the end. */
const streamPrefix = `${randomName('sluice_contract')}:`;

describe.skipIf(!up)('redis broker contract', () => {
  afterAll(async () => {
    const admin = createClient({ url: serviceUrls.redis });
    await admin.connect();
    for await (const keys of admin.scanIterator({ MATCH: `${streamPrefix}*`, COUNT: 1000 })) {
      if (keys.length > 0) await admin.del(keys);
    }
    await admin.close();
  });

  brokerContract(it, {
    create: async () => createRedisBroker({ url: serviceUrls.redis, streamPrefix }),
    visibilityTimeoutMs: 500,
  });
});
