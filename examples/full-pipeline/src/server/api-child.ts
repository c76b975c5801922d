/**
 * The streaming API of `pnpm full-pipeline` (run) in a process of its own, as it would run on the
 * machine that serves the data: reading the files and writing NDJSON then costs the pipeline's
 * process nothing. Started by `startApiProcess` with its config as the one argument; it serves
 * `/metrics`, `/workorders`, `/health` and `/status` (the parent's status events, sent over IPC),
 * tells the parent its address and how far it has read, and ends when told to or when the parent
 * goes away. Signals are the parent's business: a Ctrl-C stops the pipeline gracefully, and the
 * parent then closes this process.
 */
import { Subject } from 'rxjs';
import type { StatusEvent } from '@sluice/core';
import type { Kind } from '../tables.js';
import type { ApiProcessConfig, FromApi, ToApi } from './api-messages.js';
import { buildServer } from './app.js';

/** Most often the read offset of one file is reported (ms). */
const READ_REPORT_MS = 250;

const send = (message: FromApi) => process.send?.(message);
const config = JSON.parse(process.argv[2] ?? '{}') as ApiProcessConfig;
const status$ = new Subject<StatusEvent>();
const lastReport = new Map<Kind, number>();

const app = buildServer({
  stream: {
    files: config.files,
    ...(config.speed ? { speed: config.speed } : {}),
    onRead: (kind, offset) => {
      const now = Date.now();
      if (now - (lastReport.get(kind) ?? 0) < READ_REPORT_MS) return;
      lastReport.set(kind, now);
      send({ type: 'read', kind, offset });
    },
  },
  status$,
});

let closing: Promise<void> | undefined;
function close(): Promise<void> {
  closing ??= (async () => {
    status$.complete();
    await app.close();
    process.disconnect?.();
  })();
  return closing;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => undefined);
process.on('disconnect', () => void close());
process.on('message', (message: ToApi) => {
  if (message.type === 'status') status$.next(message.event);
  else if (message.type === 'close') void close();
});

try {
  const url = await app.listen({ host: config.host, port: config.port });
  send({ type: 'listening', url });
} catch (error) {
  send({ type: 'failed', error: error instanceof Error ? error.message : String(error) });
  process.exitCode = 1;
  process.disconnect?.();
}
