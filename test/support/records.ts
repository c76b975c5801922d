/** The records the system tests move: a file of them, their table, and their checksum. */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { z } from 'zod';
import type { TableSpec } from '@sluice/core';

/** One test record. */
export const testRecordSchema = z.object({ id: z.number().int(), val: z.number(), name: z.string() });
export type TestRecord = z.output<typeof testRecordSchema>;

/** The table test records land in, keyed by id. */
export function testRecordTable(name: string): TableSpec {
  return {
    name,
    columns: [
      { name: 'id', type: 'bigint' },
      { name: 'val', type: 'real' },
      { name: 'name', type: 'text' },
    ],
    key: ['id'],
  };
}

/** The deterministic record number `i`. */
export function testRecord(i: number): TestRecord {
  return { id: i, val: (i * 7919) % 1000 / 10, name: `rec-${i}-${'x'.repeat(i % 17)}` };
}

/** Writes records 1..count as NDJSON (streamed, bounded memory). */
export async function writeTestRecords(path: string, count: number): Promise<void> {
  const out = createWriteStream(path);
  let chunk = '';
  for (let i = 1; i <= count; i++) {
    chunk += `${JSON.stringify(testRecord(i))}\n`;
    if (chunk.length > 1 << 16) {
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  out.end(chunk);
  await once(out, 'finish');
}

/** Sum of ids 1..count: the checksum over the natural keys. */
export function idChecksum(count: number): bigint {
  return (BigInt(count) * BigInt(count + 1)) / 2n;
}
