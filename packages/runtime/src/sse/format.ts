/** Server-Sent Events framing (pure). */

/** One SSE message: optional event name and id, the data as JSON on one line. */
export function sseMessage(data: unknown, fields: { event?: string; id?: string | number } = {}): string {
  let text = '';
  if (fields.event) text += `event: ${fields.event.replace(/[\r\n]/g, ' ')}\n`;
  if (fields.id !== undefined) text += `id: ${String(fields.id).replace(/[\r\n]/g, ' ')}\n`;
  return `${text}data: ${JSON.stringify(data)}\n\n`;
}

/** An SSE comment line (ignored by clients; keeps proxies and idle timers from closing the stream). */
export function sseComment(text: string): string {
  return `: ${text.replace(/[\r\n]+/g, ' ')}\n\n`;
}

/** Headers of an SSE response. */
export const sseHeaders = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache, no-transform',
  connection: 'keep-alive',
  'x-accel-buffering': 'no',
} as const;

/** Whether the client asked for SSE. */
export function wantsEventStream(accept: string | undefined): boolean {
  return (accept ?? '').toLowerCase().includes('text/event-stream');
}

/**
 * The id a reconnecting client sends in `Last-Event-ID` (or `?lastEventId=`), as a whole number;
 * `undefined` when absent or not a plain decimal integer (then the client gets everything kept).
 */
export function parseLastEventId(value: string | readonly string[] | undefined): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (typeof text !== 'string' || !/^\d{1,15}$/.test(text.trim())) return undefined;
  return Number(text.trim());
}
