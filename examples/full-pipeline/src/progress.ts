/** Progress on the terminal from status events: one line, redrawn at most a few times a second. */
import type { Observable, Subscription } from 'rxjs';
import type { StatusEvent } from '@sluice/core';

/** Running totals per pipeline, as the status events report them. */
export type Totals = Map<string, { read: number; published: number; persisted: number; rejected: number; retries: number }>;

/** Folds one event into the totals (pure). */
export function foldStatus(totals: Totals, event: StatusEvent): Totals {
  const entry = totals.get(event.pipeline) ?? { read: 0, published: 0, persisted: 0, rejected: 0, retries: 0 };
  if (event.type === 'read' || event.type === 'published' || event.type === 'persisted' || event.type === 'rejected') entry[event.type] = event.total;
  if (event.type === 'retry') entry.retries++;
  totals.set(event.pipeline, entry);
  return totals;
}

/**
 * One line summarising the totals (pure). Each record is read once per stage, so the line shows
 * what each stage did rather than a sum of reads.
 */
export function formatTotals(totals: Totals): string {
  const sum = { published: 0, persisted: 0, rejected: 0, retries: 0 };
  for (const entry of totals.values()) for (const k of Object.keys(sum) as (keyof typeof sum)[]) sum[k] += entry[k];
  const n = (x: number) => x.toLocaleString('en-US');
  return `published ${n(sum.published)} · persisted ${n(sum.persisted)} · rejected ${n(sum.rejected)}${sum.retries ? ` · retries ${n(sum.retries)}` : ''}`;
}

/** Draws progress of `status$` on stderr; failures and retries get their own lines. */
export function showProgress(label: string, status$: Observable<StatusEvent>, stream: NodeJS.WriteStream = process.stderr): Subscription {
  const totals: Totals = new Map();
  let last = 0;
  const draw = (final = false) => {
    const line = `${label}: ${formatTotals(totals)}`;
    if (stream.isTTY) stream.write(`\r\x1b[2K${line}${final ? '\n' : ''}`);
    else if (final) stream.write(`${line}\n`);
  };
  const subscription = status$.subscribe({
    next: (event) => {
      foldStatus(totals, event);
      if (event.type === 'retry') stream.write(`${stream.isTTY ? '\n' : ''}${label}: retrying ${event.operation} (attempt ${event.attempt}, in ${event.delayMs} ms): ${event.error}\n`);
      if (event.type === 'failed') stream.write(`${stream.isTTY ? '\n' : ''}${label}: FAILED: ${event.error}\n`);
      if (Date.now() - last > 200) {
        last = Date.now();
        draw();
      }
    },
    complete: () => draw(true),
  });
  return subscription;
}
