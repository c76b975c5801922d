/**
 * Trimming of entries every consumer group has acked (`XTRIM MINID`).
 *
 * An entry may go once every group of its stream is past it: it has been delivered to the group
 * (id ≤ last-delivered-id) and is no longer pending there (lower than the group's lowest pending
 * id). A stream without groups is never trimmed: a group made later must still find its entries.
 */
import { compareStreamIds, nextStreamId } from './stream-ids.js';
import type { Client } from './connection.js';
import { readGroups } from './groups.js';

/** How far one group has come, for trimming. */
export interface GroupProgress {
  /** Id of the last entry handed to the group. */
  lastDeliveredId: string;
  /** Lowest id delivered to the group and not yet acked, if any. */
  lowestPendingId?: string;
}

/**
 * The `MINID` threshold: entries below it have been acked by every group. `undefined` when there
 * is no group, and so nothing may be trimmed. Pure.
 */
export function trimThreshold(groups: readonly GroupProgress[]): string | undefined {
  let threshold: string | undefined;
  for (const group of groups) {
    const keepFrom = group.lowestPendingId ?? nextStreamId(group.lastDeliveredId);
    if (threshold === undefined || compareStreamIds(keepFrom, threshold) < 0) threshold = keepFrom;
  }
  return threshold;
}

/**
 * Trims the stream at `key` of entries every group has acked; returns how many went.
 *
 * The groups are read before their pending entries: a group's last-delivered id only grows and an
 * entry leaves the pending list only when acked, so a later look at the pending entries can only
 * make the threshold more cautious, never let an entry go that some group still needs.
 */
export async function trimAcked(client: Client, key: string): Promise<number> {
  const groups = await readGroups(client, key);
  if (groups.length === 0) return 0;
  const progress: GroupProgress[] = [];
  for (const group of groups) {
    const summary = await client.xPending(key, group.name);
    const lowestPendingId = summary.pending > 0 && summary.firstId ? String(summary.firstId) : undefined;
    progress.push({ lastDeliveredId: group.lastDeliveredId, ...(lowestPendingId ? { lowestPendingId } : {}) });
  }
  const threshold = trimThreshold(progress);
  return threshold === undefined ? 0 : client.xTrim(key, 'MINID', threshold);
}
