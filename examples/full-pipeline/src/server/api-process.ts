/**
 * Starts the streaming API in a child process (`api-child.ts`) for the `run` command, so that the
 * API's file reading and NDJSON writing run on another core than the pipeline. The child is run
 * the way this process runs (`process.execArgv`: tsx's loader and conditions under `pnpm`).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Subject, type Observable } from 'rxjs';
import type { StatusEvent } from '@sluice/core';
import { StageProcessError } from '../errors.js';
import type { Kind } from '../tables.js';
import type { ApiProcessConfig, FromApi, ToApi } from './api-messages.js';
import { coalesceCounts } from './coalesce-counts.js';

/** A running API process. */
export interface ApiProcess {
  /** Its base URL, e.g. `http://127.0.0.1:40123`. */
  url: string;
  /** How far it has read into each file (bytes), a few times a second. */
  reads$: Observable<{ kind: Kind; offset: number }>;
  /** Sends the pipelines' status events to its `GET /status` until the returned function is called. */
  forward(status$: Observable<StatusEvent>): () => void;
  /** Closes the server and waits for the process to end (kills it after `graceMs`, default 5 s). */
  close(graceMs?: number): Promise<void>;
}

/** Most often a pipeline's counts are sent to the API process (ms); other events go at once. */
const FORWARD_EVERY_MS = 200;

const childScript = fileURLToPath(new URL('./api-child.ts', import.meta.url));

/** Forks the API process and resolves once it listens; rejects if it fails to start. */
export function startApiProcess(config: ApiProcessConfig): Promise<ApiProcess> {
  const child: ChildProcess = fork(childScript, [JSON.stringify(config)], { execArgv: process.execArgv, serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const reads$ = new Subject<{ kind: Kind; offset: number }>();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const send = (message: ToApi) => {
    if (child.connected) child.send(message, (error) => error && undefined); // a child gone is reported by its exit
  };
  return new Promise((resolve, reject) => {
    const failed = (detail: string) => {
      child.kill('SIGKILL');
      reject(new StageProcessError(`the streaming API process did not start: ${detail}. Check that --port is free and the files are readable.`));
    };
    child.once('error', (error) => failed(error.message));
    child.once('exit', (code, signal) => {
      reads$.complete();
      failed(`it exited with ${signal ?? `code ${code}`}`);
    });
    child.on('message', (message: FromApi) => {
      if (message.type === 'read') reads$.next({ kind: message.kind, offset: message.offset });
      else if (message.type === 'failed') failed(message.error);
      else if (message.type === 'listening') {
        resolve({
          url: message.url,
          reads$,
          forward: (status$) => {
            const coalescer = coalesceCounts((event) => send({ type: 'status', event }), FORWARD_EVERY_MS);
            const subscription = status$.subscribe({ next: coalescer.push, complete: coalescer.flush });
            return () => {
              subscription.unsubscribe();
              coalescer.flush();
            };
          },
          close: async (graceMs = 5000) => {
            send({ type: 'close' });
            const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
            await exited;
            clearTimeout(timer);
          },
        });
      }
    });
  });
}
