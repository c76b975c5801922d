/** A test table with a column of every type, shared by the store's value and prepare tests. */
import type { TableSpec } from '@sluice/core';

/** `typed`: a bigint key, then boolean, timestamp and json columns, and nullable integer, real and text ones. */
export const typedSpec: TableSpec = {
  name: 'typed',
  columns: [
    { name: 'id', type: 'bigint' },
    { name: 'flag', type: 'boolean' },
    { name: 'at', type: 'timestamp' },
    { name: 'doc', type: 'json' },
    { name: 'n', type: 'integer', nullable: true },
    { name: 'x', type: 'real', nullable: true },
    { name: 's', type: 'text', nullable: true },
  ],
  key: ['id'],
};
