/**
 * The store's own tables: checkpoints, dead letters and the migration record. Their rows go through
 * the same multi-row statements as user tables, inside the same transaction as the batch.
 */
import { StoreError, type Checkpoint, type DeadLetter, type Position, type Row, type TableSpec } from '@sluice/core';

/** Names of the store's own tables. */
export const OWN = {
  checkpoints: 'sluice_checkpoints',
  deadLetters: 'sluice_dead_letters',
  migrations: 'sluice_migrations',
} as const;

/** DDL of the own tables, safe to run on every open. */
export const OWN_TABLES_SQL = `
CREATE TABLE IF NOT EXISTS ${OWN.checkpoints} (
  stream TEXT NOT NULL PRIMARY KEY,
  position TEXT NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS ${OWN.deadLetters} (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  origin TEXT NOT NULL,
  position TEXT,
  key TEXT,
  reason TEXT NOT NULL,
  payload TEXT NOT NULL,
  at INTEGER NOT NULL,
  encoding TEXT
);
CREATE INDEX IF NOT EXISTS ${OWN.deadLetters}_origin ON ${OWN.deadLetters} (origin, id);
CREATE TABLE IF NOT EXISTS ${OWN.migrations} (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL,
  checksum TEXT NOT NULL,
  spec TEXT NOT NULL,
  applied_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS ${OWN.migrations}_name ON ${OWN.migrations} (name, id);
`;

/** Spec used to write checkpoints (merge on the stream). */
export const CHECKPOINT_SPEC: TableSpec = {
  name: OWN.checkpoints,
  columns: [
    { name: 'stream', type: 'text' },
    { name: 'position', type: 'json' },
    { name: 'updated_at', type: 'integer' },
  ],
  key: ['stream'],
  mode: 'merge',
};

/** Spec used to write dead letters (append; `id` is assigned by SQLite and keeps their order). */
export const DEAD_LETTER_SPEC: TableSpec = {
  name: OWN.deadLetters,
  columns: [
    { name: 'origin', type: 'text' },
    { name: 'position', type: 'json', nullable: true },
    { name: 'key', type: 'text', nullable: true },
    { name: 'reason', type: 'text' },
    { name: 'payload', type: 'text' },
    { name: 'at', type: 'integer' },
    { name: 'encoding', type: 'text', nullable: true },
  ],
  key: ['origin'],
  mode: 'append',
};

/** The row of a checkpoint. */
export function checkpointRow(checkpoint: Checkpoint, now: number): Row {
  return { stream: checkpoint.stream, position: checkpoint.position, updated_at: now };
}

/** The row of a dead letter (its fields are checked by the dead-letter spec's converters). */
export function deadLetterRow(letter: DeadLetter): Row {
  return {
    origin: letter.origin,
    position: letter.position ?? null,
    key: letter.key ?? null,
    reason: letter.reason,
    payload: letter.payload,
    at: letter.at,
    encoding: letter.encoding === 'base64' ? 'base64' : null,
  };
}

/** Parses a stored position; a corrupt one is a `StoreError` naming where it was found. */
export function parsePosition(text: string, where: string): Position {
  try {
    return JSON.parse(text) as Position;
  } catch (cause) {
    throw new StoreError(`${where}: stored position is not valid JSON (${text.slice(0, 60)}); fix or delete that row`, 'read', undefined, {
      cause,
    });
  }
}

/** A stored dead-letter row. */
export interface DeadLetterRecord {
  origin: string;
  position: string | null;
  key: string | null;
  reason: string;
  payload: string;
  at: number;
  encoding: string | null;
}

/** A dead letter from its stored row; absent position and key stay absent. */
export function deadLetterFromRecord(record: DeadLetterRecord): DeadLetter {
  const letter: DeadLetter = { origin: record.origin, reason: record.reason, payload: record.payload, at: record.at };
  if (record.position !== null) letter.position = parsePosition(record.position, `${OWN.deadLetters} (origin ${record.origin})`);
  if (record.key !== null) letter.key = record.key;
  if (record.encoding === 'base64') letter.encoding = 'base64';
  return letter;
}

/**
 * Brings a dead-letter table made by an earlier version up to date: it gains the `encoding` column
 * (NULL means the payload is the text itself).
 */
export const OWN_TABLES_UPGRADES: readonly { table: string; column: string; sql: string }[] = [
  { table: OWN.deadLetters, column: 'encoding', sql: `ALTER TABLE ${OWN.deadLetters} ADD COLUMN encoding TEXT` },
];
