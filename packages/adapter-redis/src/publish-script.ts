/**
 * Publishing a batch as one Lua script: one command, one round trip, atomic (no other command
 * runs in between, and a failure at the first `XADD` leaves nothing written). About twice as fast
 * as `MULTI` with one `XADD` per entry, which makes node-redis build a command object per entry.
 */
import { createHash } from 'node:crypto';
import { ErrorReply } from 'redis';
import type { EntryFields } from './codec.js';
import type { Client } from './connection.js';

/** Appends each quadruple of ARGV (key, value, timestamp, headers) to the stream KEYS[1]. */
const SCRIPT = `
for i = 1, #ARGV, 4 do
  redis.call('XADD', KEYS[1], '*', 'key', ARGV[i], 'value', ARGV[i + 1], 'timestamp', ARGV[i + 2], 'headers', ARGV[i + 3])
end
return #ARGV / 4
`;
const SHA = createHash('sha1').update(SCRIPT).digest('hex');

/**
 * Appends entries (the fields of `encodeEnvelope`) to the stream at `key`, in order, atomically.
 * Resolves with how many were appended.
 */
export async function appendEntries(client: Client, key: string, entries: readonly EntryFields[]): Promise<number> {
  const args = ['1', key];
  for (const fields of entries) args.push(fields.key, fields.value, fields.timestamp, fields.headers);
  try {
    return Number(await client.sendCommand(['EVALSHA', SHA, ...args]));
  } catch (error) {
    // The server has not cached the script yet (first use, or after a restart or SCRIPT FLUSH).
    if (!(error instanceof ErrorReply && error.message.startsWith('NOSCRIPT'))) throw error;
    return Number(await client.sendCommand(['EVAL', SCRIPT, ...args]));
  }
}
