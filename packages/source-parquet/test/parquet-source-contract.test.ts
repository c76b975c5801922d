/** The source contract for Parquet files from two writers: hyparquet-writer and DuckDB. */
import { sourceContract, tempFiles } from '@sluice/core/testkit';
import { afterAll, describe, it } from 'vitest';
import { parquetSource } from '../src/index.js';
import { closeDuckDb, sampleByDuckDb, sampleByHyparquet } from './writers.js';

const files = tempFiles('sluice-parquet-contract-');
afterAll(async () => {
  await closeDuckDb();
  await files.remove();
});

describe('parquet source contract (files written by hyparquet-writer)', () =>
  sourceContract(it, {
    create: async (records, { chunkSize } = {}) =>
      parquetSource({ path: await files.write(sampleByHyparquet(records), 'parquet'), chunkRows: chunkSize }),
  }));

describe('parquet source contract (files written by DuckDB)', () =>
  sourceContract(it, {
    create: async (records, { chunkSize } = {}) => {
      const path = await files.write('', 'parquet');
      await sampleByDuckDb(records, path);
      return parquetSource({ path, chunkRows: chunkSize });
    },
  }));
