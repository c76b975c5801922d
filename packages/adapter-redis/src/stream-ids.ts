/** Redis stream ids (`<ms>-<seq>`): parsing, ordering, and the next id. Pure. */

/** A parsed stream id `ms-seq`. */
export interface StreamId {
  ms: bigint;
  seq: bigint;
}

/** Parses `ms-seq` (or bare `ms`); throws on anything else. */
export function parseStreamId(id: string): StreamId {
  const match = /^(\d+)(?:-(\d+))?$/.exec(id);
  if (!match) throw new Error(`"${id}" is not a Redis stream id (expected <ms>-<seq>)`);
  return { ms: BigInt(match[1]!), seq: BigInt(match[2] ?? '0') };
}

/** Negative, zero or positive as `a` is lower than, equal to or higher than `b`. */
export function compareStreamIds(a: string, b: string): number {
  const x = parseStreamId(a);
  const y = parseStreamId(b);
  if (x.ms !== y.ms) return x.ms < y.ms ? -1 : 1;
  return x.seq === y.seq ? 0 : x.seq < y.seq ? -1 : 1;
}

/** The smallest id greater than `id`. */
export function nextStreamId(id: string): string {
  const { ms, seq } = parseStreamId(id);
  return seq === 0xffff_ffff_ffff_ffffn ? `${ms + 1n}-0` : `${ms}-${seq + 1n}`;
}
