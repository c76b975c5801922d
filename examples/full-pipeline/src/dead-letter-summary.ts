/** What went to the dead letters in a run, told in a few lines instead of a silent count. */
import type { DeadLetter, Store } from '@sluice/core';
import { originsOf, type Names } from './tables.js';

/** Dead letters of one origin and reason. */
export interface DeadLetterGroup {
  origin: string;
  reason: string;
  count: number;
  /** The payload of the first of them, cut to a readable length. */
  example: string;
}

/** The dead letters of this pipeline's origins written at or after `since` (ms), oldest first. */
export async function readDeadLettersSince(store: Store, names: Names, since: number): Promise<DeadLetter[]> {
  const all = await Promise.all(originsOf(names).map((origin) => store.readDeadLetters(origin)));
  return all.flat().filter((letter) => letter.at >= since).sort((a, b) => a.at - b.at);
}

/** Groups dead letters by origin and reason, the most frequent first (pure). */
export function groupDeadLetters(letters: readonly DeadLetter[]): DeadLetterGroup[] {
  const groups = new Map<string, DeadLetterGroup>();
  for (const letter of letters) {
    const id = `${letter.origin}\u0000${letter.reason}`;
    const group = groups.get(id) ?? { origin: letter.origin, reason: letter.reason, count: 0, example: cut(letter.payload) };
    group.count++;
    groups.set(id, group);
  }
  return [...groups.values()].sort((a, b) => b.count - a.count || a.origin.localeCompare(b.origin) || a.reason.localeCompare(b.reason));
}

/** Lines for the terminal: how many records were dead-lettered, why, and where to find them (pure). */
export function formatDeadLetters(letters: readonly DeadLetter[], where: string, maxLines = 10): string[] {
  if (letters.length === 0) return [];
  const groups = groupDeadLetters(letters);
  const lines = [`${letters.length} record(s) went to the dead letters (${where}):`];
  for (const g of groups.slice(0, maxLines)) lines.push(`  ${g.count} × ${g.origin}: ${g.reason}${g.example ? ` — e.g. ${g.example}` : ''}`);
  if (groups.length > maxLines) lines.push(`  … and ${groups.length - maxLines} more reasons`);
  return lines;
}

function cut(text: string, max = 120): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
