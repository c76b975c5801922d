/** Stream entries out of raw RESP2 replies (`XREADGROUP`, `XAUTOCLAIM`, `XRANGE`). Pure. */

/** A stream entry as read back: its id and its fields as Redis lists them, `[name, value, …]`. */
export interface StreamEntry {
  id: string;
  fields: readonly string[];
}

/**
 * Entries of a raw RESP2 stream reply: `[[id, [field, value, …]], …]`. Entries deleted from the
 * stream but still pending come back as `[id, null]`; they are returned in `deleted`. The field
 * lists are Redis's own arrays, not copies (RESP2 without type mapping: all strings).
 */
export function parseEntries(raw: unknown): { entries: StreamEntry[]; deleted: string[] } {
  const entries: StreamEntry[] = [];
  const deleted: string[] = [];
  if (!Array.isArray(raw)) return { entries, deleted };
  for (const item of raw) {
    if (!Array.isArray(item) || typeof item[0] !== 'string') continue;
    const [id, fields] = item as [string, unknown];
    if (Array.isArray(fields)) entries.push({ id, fields: fields as string[] });
    else deleted.push(id);
  }
  return { entries, deleted };
}

/**
 * Entries of a raw RESP2 `XREADGROUP` reply for one stream: `[[name, [[id, fields], …]]]`, or
 * `null` when the read timed out.
 */
export function parseReadReply(raw: unknown): { entries: StreamEntry[]; deleted: string[] } {
  if (!Array.isArray(raw) || raw.length === 0) return { entries: [], deleted: [] };
  const [stream] = raw as [unknown];
  return parseEntries(Array.isArray(stream) ? stream[1] : undefined);
}
