import { describe, it } from 'vitest';
import { storeContract } from '@sluice/core/testkit';
import { createSqliteStore } from '../src/index.js';
import { tempDatabases } from './temp-dir.js';

const nextFile = tempDatabases('contract');

describe('SQLite store: store contract (a WAL file database per test)', () => {
  storeContract(it, {
    create: async () => createSqliteStore({ filename: nextFile() }),
    param: () => '?',
  });
});
