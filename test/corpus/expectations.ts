/**
 * Checks what a run landed against a rendered corpus case: every valid record as its row, every bad
 * one as a dead letter naming its position and a short reason, and `read = persisted + rejected`.
 */
import { createHash } from 'node:crypto';
import { expect } from 'vitest';
import { deadLetterBytes, type DeadLetter, type Position } from '@sluice/core';
import { sortRows, type Landing } from './landing.js';
import type { ExpectedReject, Rendered } from './render.js';

/** Longest reason a dead letter may carry: a reason is read by people, the payload keeps the data. */
export const MAX_REASON_CHARS = 1000;

/** Long text as its head and tail, for failure messages. */
function shorten(text: string): string {
  return text.length > 300 ? `${text.slice(0, 200)} … ${text.slice(-80)}` : text;
}

/** A position as text for messages. */
function where(position: Position | undefined): string {
  return position ? JSON.stringify(position) : 'no position';
}

/** Which parts of a position and reason {@link expectRejects} checks. */
export interface RejectChecks {
  /** The line and byte offset (default true; the webhook names records by index alone). */
  lines?: boolean;
  /** The reason against the expected pattern (default true; only its length otherwise). */
  reasons?: boolean;
}

/**
 * Checks that each expected reject has a dead letter at its record's index, with the line (if the
 * format has lines), a byte offset inside the record, and a short reason matching the pattern.
 */
export function expectRejects(letters: readonly DeadLetter[], expected: readonly ExpectedReject[], label: string, checks: RejectChecks = {}): void {
  const { lines = true, reasons = true } = checks;
  for (const reject of expected) {
    const letter = letters.find((l) => l.position?.index === reject.index);
    expect(letter, `${label}: a dead letter for the record at index ${reject.index} (dead letters at ${letters.map((l) => where(l.position)).join(', ')})`).toBeDefined();
    if (!letter) continue;
    const context = `${label}: dead letter of record ${reject.index} (${where(letter.position)}, reason ${JSON.stringify(shorten(letter.reason))})`;
    if (reasons) expect(letter.reason, context).toMatch(reject.reason);
    expect(letter.reason.length, `${context}: reason length`).toBeLessThanOrEqual(MAX_REASON_CHARS);
    if (reject.text) expectKept(letter, reject.text, context);
    if (!lines) continue;
    if (reject.line !== undefined) expect(letter.position?.line, `${context}: line`).toBe(reject.line);
    const offset = letter.position?.offset ?? -1;
    expect(offset >= reject.start && offset <= reject.end, `${context}: offset ${offset} inside the record's bytes [${reject.start}, ${reject.end}]`).toBe(true);
  }
  expect(letters.length, `${label}: dead letters (${letters.map((l) => `${where(l.position)}: ${l.reason.slice(0, 120)}`).join(' | ')})`).toBe(expected.length);
}

/**
 * A record the source could not read keeps its exact bytes in its dead letter (a CSV row with its
 * line end). Records read but refused by the schema (`invalid record: …`) are left out: they keep
 * the value the source handed on, unless the source keeps raw bytes (`keepRaw`).
 */
function expectKept(letter: DeadLetter & { payloadSha256?: string }, text: Buffer, context: string): void {
  if (letter.reason.startsWith('invalid record:')) return;
  const kept = deadLetterBytes(letter);
  const message = `${context}: payload ${JSON.stringify(shorten(kept.toString('utf8')))} is the record's ${text.length} bytes`;
  const ends = ['', '\n', '\r\n'].map((end) => Buffer.concat([text, Buffer.from(end)]));
  // A letter from a child process carries its payload cut, and the hash of the whole.
  if (letter.payloadSha256 !== undefined) {
    const hashes = ends.map((bytes) => createHash('sha256').update(bytes).digest('hex'));
    expect(hashes, message).toContain(letter.payloadSha256);
  } else {
    expect(ends.some((bytes) => bytes.equals(kept)), message).toBe(true);
  }
}

/** Checks a load run against the rendered case: completed, counts add up, rows and rejects as expected. */
export function expectLanded(landing: Landing, rendered: Rendered, label: string): void {
  if (rendered.error && landing.error) {
    expect(String(landing.error), `${label}: the error reading fails with`).toMatch(rendered.error);
    expect(landing.rows, `${label}: rows after a failed read`).toEqual([]);
    return;
  }
  expect(landing.error, `${label}: the load must complete; it failed with ${String(landing.error)}`).toBeUndefined();
  const summary = landing.summary!;
  expect(summary.read, `${label}: read = persisted + rejected`).toBe(summary.persisted + summary.rejected);
  expectRejects(landing.letters, rendered.rejects, label);
  expect(landing.rows, `${label}: the rows that landed`).toEqual(sortRows(rendered.rows));
  expect(summary.persisted, `${label}: persisted`).toBe(rendered.rows.length);
  expect(summary.rejected, `${label}: rejected`).toBe(rendered.rejects.length);
}
