/** Server-Sent Events framing (pure). */

/** One SSE message: optional event name and id, data as JSON on one line. */
export function sseMessage(data: unknown, fields: { event?: string; id?: string } = {}): string {
  let text = '';
  if (fields.event) text += `event: ${fields.event}\n`;
  if (fields.id !== undefined) text += `id: ${fields.id}\n`;
  return `${text}data: ${JSON.stringify(data)}\n\n`;
}

/** Headers of an SSE response. */
export const sseHeaders = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
  connection: 'keep-alive',
  'x-accel-buffering': 'no',
} as const;

/** Whether the client asked for SSE. */
export function wantsEventStream(accept: string | undefined): boolean {
  return (accept ?? '').includes('text/event-stream');
}
