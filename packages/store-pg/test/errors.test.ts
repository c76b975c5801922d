import { describe, expect, it } from 'vitest';
import { StoreError, ValidationError } from '@sluice/core';
import { PgStoreError, isRetriablePgError, toStoreError } from '../src/errors.js';

/** An error shaped like node-postgres' DatabaseError. */
const pgError = (code: string, message = 'boom', extra: Record<string, string> = {}) =>
  Object.assign(new Error(message), { code, ...extra });

describe('isRetriablePgError', () => {
  it.each(['08000', '08006', '08P01', '57P01', '57P02', '57P03', '40001', '40P01', '53300', '57014'])(
    'SQLSTATE %s is retriable',
    (code) => expect(isRetriablePgError(pgError(code))).toBe(true),
  );

  it.each(['23505', '23502', '22P02', '42P01', '42601', '22003', 'XX000'])('SQLSTATE %s is not', (code) =>
    expect(isRetriablePgError(pgError(code))).toBe(false),
  );

  it('treats refused and reset sockets and lost connections as retriable', () => {
    expect(isRetriablePgError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isRetriablePgError(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }))).toBe(true);
    expect(isRetriablePgError(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isRetriablePgError(new Error('timeout exceeded when trying to connect'))).toBe(true);
    expect(isRetriablePgError(new Error('something else'))).toBe(false);
    expect(isRetriablePgError('a string')).toBe(false);
  });
});

describe('toStoreError', () => {
  it('says what failed, on which table, in PostgreSQL words with detail, and what to do', () => {
    const error = toStoreError(
      pgError('23505', 'duplicate key value violates unique constraint "t_pkey"', { detail: 'Key (id)=(k3) already exists.' }),
      { operation: 'write', table: 't', schema: 'public', mode: 'append' },
    );
    expect(error).toBeInstanceOf(PgStoreError);
    expect(error).toBeInstanceOf(StoreError);
    expect(error.retriable).toBe(false);
    expect((error as PgStoreError).sqlState).toBe('23505');
    expect((error as PgStoreError).table).toBe('t');
    expect(error.message).toContain('write (append) of table "public"."t" failed: duplicate key');
    expect(error.message).toContain('Key (id)=(k3) already exists.');
    expect(error.message).toContain("mode 'merge'");
  });

  it('marks a terminated backend retriable and keeps the cause', () => {
    const cause = pgError('57P01', 'terminating connection due to administrator command');
    const error = toStoreError(cause, { operation: 'query' });
    expect(error.retriable).toBe(true);
    expect(error.cause).toBe(cause);
    expect(error.message).toMatch(/retrying may succeed/);
  });

  it('passes Sluice errors through unchanged', () => {
    const original = new ValidationError('bad', ['x']);
    expect(toStoreError(original, { operation: 'write' })).toBe(original);
  });
});
