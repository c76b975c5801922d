import { describe, it } from 'vitest';
import { requireService, serviceUrls, storeContract } from '@sluice/core/testkit';
import { createPgStore } from '../src/index.js';

const up = await requireService('PostgreSQL', serviceUrls.pg);

describe.skipIf(!up)('PostgreSQL store contract', () => {
  storeContract(it, {
    create: async () => createPgStore({ connectionString: serviceUrls.pg, poolSize: 2 }),
    param: (n) => `$${n}`,
  });
});
