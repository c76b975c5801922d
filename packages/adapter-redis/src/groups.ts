/**
 * What Redis knows about the consumer groups of a stream (`XINFO GROUPS`), and a group's lag.
 */
import { ErrorReply } from 'redis';
import { parseEntries } from './replies.js';
import { nextStreamId } from './stream-ids.js';
import type { Client } from './connection.js';

/** One consumer group of a stream. */
export interface GroupInfo {
  name: string;
  /** Entries delivered to members and not yet acked. */
  pending: number;
  /** Id of the last entry handed to the group (`0-0` if none). */
  lastDeliveredId: string;
  /** Entries not yet delivered to the group; `null` when Redis cannot tell (after `XDEL`s). */
  lag: number | null;
}

/** Parses a raw RESP2 `XINFO GROUPS` reply: one flat `[field, value, …]` array per group. */
export function parseGroupsReply(raw: unknown): GroupInfo[] {
  if (!Array.isArray(raw)) return [];
  return raw.filter(Array.isArray).map((flat: unknown[]) => {
    const fields = new Map<string, unknown>();
    for (let i = 0; i + 1 < flat.length; i += 2) fields.set(String(flat[i]), flat[i + 1]);
    const lag = fields.get('lag');
    return {
      name: String(fields.get('name')),
      pending: Number(fields.get('pending') ?? 0),
      lastDeliveredId: String(fields.get('last-delivered-id') ?? '0-0'),
      lag: lag === null || lag === undefined ? null : Number(lag),
    };
  });
}

/** The groups of the stream at `key`; none when the stream does not exist. */
export async function readGroups(client: Client, key: string): Promise<GroupInfo[]> {
  try {
    return parseGroupsReply(await client.sendCommand(['XINFO', 'GROUPS', key]));
  } catch (error) {
    if (error instanceof ErrorReply && /no such key/i.test(error.message)) return [];
    throw error;
  }
}

/**
 * Entries of the stream at `key` that `group` has not acked: pending plus not yet delivered.
 * A group that does not exist yet would start at the oldest entry, so its lag is the stream length.
 */
export async function groupLag(client: Client, key: string, group: string): Promise<number> {
  const info = (await readGroups(client, key)).find((g) => g.name === group);
  if (!info) return client.xLen(key);
  const undelivered = info.lag ?? (await countAfter(client, key, info.lastDeliveredId));
  return info.pending + undelivered;
}

/** Counts the entries after `id` by paging through them; used when Redis cannot tell the lag. */
async function countAfter(client: Client, key: string, id: string): Promise<number> {
  let count = 0;
  for (let from = nextStreamId(id); ; ) {
    const { entries } = parseEntries(await client.sendCommand(['XRANGE', key, from, '+', 'COUNT', '1000']));
    count += entries.length;
    if (entries.length < 1000) return count;
    from = nextStreamId(entries[entries.length - 1]!.id);
  }
}
