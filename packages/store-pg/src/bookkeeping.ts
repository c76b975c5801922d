/**
 * The store's own rows: checkpoints and dead letters. Writes run on the caller's client, inside
 * the transaction of the batch they belong to; reads map rows back to the core types.
 */
import type { Checkpoint, DeadLetter, Position } from '@sluice/core';
import pg, { type PoolClient } from 'pg';
import { INTERNAL_TABLES, qualify } from './ddl.js';

const { escapeLiteral } = pg;

/**
 * PostgreSQL text cannot hold U+0000: text fields keep it replaced by U+FFFD. A payload whose exact
 * bytes matter comes base64-encoded (`encoding: 'base64'`, see core's `deadLetter`), which has none.
 */
function storable(text: string): string {
  return text.includes('\0') ? text.replaceAll('\0', '\uFFFD') : text;
}

/** Inserts dead letters with one statement (arrays unnested), in order. */
export async function insertDeadLetters(client: PoolClient, schema: string, letters: readonly DeadLetter[]): Promise<void> {
  if (letters.length === 0) return;
  await client.query(
    `INSERT INTO ${qualify(schema, INTERNAL_TABLES.deadLetters)} (origin, position, key, reason, payload, at, encoding) ` +
      'SELECT origin, position, key, reason, payload, at, encoding ' +
      'FROM unnest($1::text[], $2::jsonb[], $3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::text[]) ' +
      'WITH ORDINALITY AS d(origin, position, key, reason, payload, at, encoding, n) ORDER BY n',
    [
      letters.map((d) => storable(String(d.origin))),
      letters.map((d) => (d.position === undefined ? null : JSON.stringify(d.position))),
      letters.map((d) => (d.key === undefined ? null : storable(String(d.key)))),
      letters.map((d) => storable(String(d.reason))),
      letters.map((d) => storable(String(d.payload))),
      letters.map((d) => new Date(d.at).toISOString()),
      letters.map((d) => (d.encoding === 'base64' ? 'base64' : null)),
    ],
  );
}

/**
 * The statement that saves checkpoints (of distinct streams), with their values as quoted literals:
 * it goes out with the transaction's COMMIT (see `withCommit`), so it costs no round trip of its own.
 */
export function upsertCheckpointsSql(schema: string, checkpoints: readonly Checkpoint[]): string {
  const values = checkpoints.map((c) => `(${escapeLiteral(c.stream)}, ${escapeLiteral(JSON.stringify(c.position))}::jsonb, now())`);
  return (
    `INSERT INTO ${qualify(schema, INTERNAL_TABLES.checkpoints)} AS c (stream, position, updated_at) ` +
    `VALUES ${values.join(', ')} ON CONFLICT (stream) DO UPDATE SET position = EXCLUDED.position, updated_at = now()`
  );
}

/** SQL reading the checkpoint of one stream (`$1`). */
export function readCheckpointSql(schema: string): string {
  return `SELECT position FROM ${qualify(schema, INTERNAL_TABLES.checkpoints)} WHERE stream = $1`;
}

/** SQL reading the checkpoints of the streams in `$1` (a text array), or of the streams starting with `$1`. */
export function readCheckpointsSql(schema: string, by: 'streams' | 'prefix'): string {
  const where = by === 'streams' ? 'stream = ANY($1::text[])' : 'starts_with(stream, $1::text)';
  return `SELECT stream, position FROM ${qualify(schema, INTERNAL_TABLES.checkpoints)} WHERE ${where}`;
}

/** SQL reading dead letters in insertion order, all or of one origin (`$1`). */
export function readDeadLettersSql(schema: string, byOrigin: boolean): string {
  return (
    `SELECT origin, position, key, reason, payload, at, encoding FROM ${qualify(schema, INTERNAL_TABLES.deadLetters)}` +
    `${byOrigin ? ' WHERE origin = $1' : ''} ORDER BY id`
  );
}

/** A row of `sluice_dead_letters` as node-postgres returns it. */
export interface DeadLetterRow {
  origin: string;
  position: Position | null;
  key: string | null;
  reason: string;
  payload: string;
  at: Date;
  encoding: string | null;
}

/** A dead-letter row back as a `DeadLetter` (absent position and key left out). */
export function toDeadLetter(row: DeadLetterRow): DeadLetter {
  return {
    origin: row.origin,
    ...(row.position === null ? {} : { position: row.position }),
    ...(row.key === null ? {} : { key: row.key }),
    reason: row.reason,
    payload: row.payload,
    at: row.at.getTime(),
    ...(row.encoding === 'base64' ? { encoding: 'base64' as const } : {}),
  };
}
