/**
 * COPY binary against the real server: every value the binary encoder takes lands exactly as the
 * text encoder's COPY lands it, and the values it has no exact form for make it give up (the text
 * encoder then encodes them or says what is wrong).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Row, TableSpec } from '@sluice/core';
import { randomName, requireService, serviceUrls } from '@sluice/core/testkit';
import { encodeCopyBinary } from '../src/copy-binary.js';
import { copyPlan, encodeCopyRows } from '../src/copy-encode.js';
import { NASTY } from './copy-text.js';

const spec: TableSpec = {
  name: 'all_types',
  key: ['id'],
  columns: [
    { name: 'id', type: 'integer' },
    { name: 'i', type: 'integer', nullable: true },
    { name: 'b', type: 'bigint', nullable: true },
    { name: 'r', type: 'real', nullable: true },
    { name: 'f', type: 'boolean', nullable: true },
    { name: 't', type: 'timestamp', nullable: true },
    { name: 's', type: 'text', nullable: true },
  ],
};
const plan = copyPlan(spec);

/** Rows with every edge the binary encoder handles. */
function edgeRows(): Row[] {
  const values: Omit<Row, 'id'>[] = [
    { i: -(2 ** 31), b: -(2 ** 53) + 1, r: -0, f: false, t: 0, s: '' },
    { i: 2 ** 31 - 1, b: 2 ** 53 - 1, r: 14.4973794438195, f: true, t: -1, s: 'plain' },
    { i: '123', b: '9223372036854775807', r: Number.NaN, f: 1, t: Date.UTC(1901, 0, 1, 0, 0, 0, 1), s: 'unicode é ✓ 日本語 🚀' },
    { i: -5, b: '-9223372036854775808', r: Number.POSITIVE_INFINITY, f: 0, t: new Date(Date.UTC(2099, 11, 31, 23, 59, 59, 999)), s: null },
    { i: null, b: 2n ** 62n, r: 1e-300, f: null, t: 1527498220000.7, s: 'x'.repeat(70_000) },
    { i: 0, b: '644733584289153023', r: -180, f: true, t: null },
    ...NASTY.filter((text) => !text.includes('\0')).map((s) => ({ s })),
  ];
  return values.map((row, id) => ({ id, ...row }));
}

describe.skipIf(!(await requireService('PostgreSQL', serviceUrls.pg)))('COPY binary', () => {
  const schema = randomName('sluice_binary');
  const client = new pg.Client({ connectionString: serviceUrls.pg });
  const columns = spec.columns.map((c) => `${c.name} ${{ integer: 'integer', bigint: 'bigint', real: 'double precision', boolean: 'boolean', timestamp: 'timestamptz', text: 'text' }[c.type as string]}`).join(', ');
  const copy = async (table: string, chunks: readonly (string | Buffer)[], binary: boolean) => {
    const stream = client.query(copyFrom(`COPY ${schema}.${table} FROM STDIN${binary ? ' (FORMAT binary)' : ''}`));
    await pipeline(Readable.from(chunks, { objectMode: false }), stream);
  };
  const dump = async (table: string) => (await client.query<{ row: string }>(`SELECT x::text AS row FROM ${schema}.${table} x ORDER BY id`)).rows.map((r) => r.row);

  beforeAll(async () => {
    await client.connect();
    await client.query(`CREATE SCHEMA ${schema}; CREATE TABLE ${schema}.by_text (${columns}); CREATE TABLE ${schema}.by_binary (${columns})`);
  });
  afterAll(async () => {
    await client.query(`DROP SCHEMA ${schema} CASCADE`);
    await client.end();
  });

  it('stores every value exactly as the text format does, across chunks', async () => {
    const rows = edgeRows();
    const binary = encodeCopyBinary(plan, rows);
    expect(binary).toBeDefined();
    // The 70,000-character text and the nasty strings make more than one chunk worth checking.
    expect(binary!.count).toBe(rows.length);
    await copy('by_binary', binary!.chunks, true);
    await copy('by_text', encodeCopyRows(plan, rows).chunks, false);
    const text = await dump('by_text');
    expect(text).toHaveLength(rows.length);
    expect(await dump('by_binary')).toEqual(text);
  });

  it('keeps the last row of each key when asked, as the text encoder does', () => {
    const rows = [
      { id: 1, s: 'first' },
      { id: '2', s: 'a' },
      { id: 1, s: 'second' },
      { id: 2, s: 'b' },
    ];
    const binary = encodeCopyBinary(plan, rows, { dedupe: true });
    expect(binary?.count).toBe(encodeCopyRows(plan, rows, { dedupe: true }).count);
    expect(binary?.count).toBe(2);
  });

  it('gives up on values without an exact binary form, leaving them to the text encoder', () => {
    for (const row of [
      { id: 1, t: '2018-05-28T09:03:40Z' },
      { id: 1, r: '14.50' },
      { id: 1, r: 1n },
      { id: 1, b: 2 ** 53 },
      { id: 1, i: 2 ** 31 },
      { id: 1, b: '9223372036854775808' },
      { id: 1, s: 'nul\0' },
      { id: 1, s: 5 },
      { id: 1, t: 8.64e15 },
      { id: null },
      { id: 1, other: 'not a column' },
    ]) {
      expect(encodeCopyBinary(plan, [{ id: 0 }, row]), JSON.stringify(row, (_, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))).toBeUndefined();
    }
  });
});
