/**
 * Publishing a batch as one Lua script: one command, one round trip, atomic (no other command
 * runs in between, and a failure at the first `XADD` leaves nothing written). About twice as fast
 * as `MULTI` with one `XADD` per entry, which makes node-redis build a command object per entry.
 */
import { createHash } from 'node:crypto';
import { ErrorReply } from 'redis';
import { ENVELOPE_FIELD } from './codec.js';
import type { Client } from './connection.js';

/** Appends each ARGV (the text of an `envelope` field) to the stream KEYS[1] as an entry. */
const SCRIPT = `
local call, key = redis.call, KEYS[1]
for i = 1, #ARGV do
  call('XADD', key, '*', '${ENVELOPE_FIELD}', ARGV[i])
end
return #ARGV
`;
const SHA = createHash('sha1').update(SCRIPT).digest('hex');

/**
 * Appends entries (texts of `encodeEnvelope`) to the stream at `key`, in order, atomically.
 * Resolves with how many were appended.
 */
export async function appendEntries(client: Client, key: string, texts: readonly string[]): Promise<number> {
  const args = ['EVALSHA', SHA, '1', key];
  for (const text of texts) args.push(text);
  try {
    return Number(await client.sendCommand(args));
  } catch (error) {
    // The server has not cached the script yet (first use, or after a restart or SCRIPT FLUSH).
    if (!(error instanceof ErrorReply && error.message.startsWith('NOSCRIPT'))) throw error;
    args[0] = 'EVAL';
    args[1] = SCRIPT;
    return Number(await client.sendCommand(args));
  }
}
