/** Temporary database files for tests: one directory per test file, removed after it. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

/** Returns a function giving a new database path on each call; the directory goes after the file's tests. */
export function tempDatabases(prefix: string): () => string {
  const dir = mkdtempSync(join(tmpdir(), `sluice-${prefix}-`));
  let count = 0;
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return () => join(dir, `db-${++count}.sqlite`);
}
