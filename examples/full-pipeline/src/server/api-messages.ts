/** What the `run` command and its API process tell each other over IPC (see `api-process.ts`). */
import type { StatusEvent } from '@sluice/core';
import type { Kind } from '../tables.js';

/** How the API process is started: what it serves and where. */
export interface ApiProcessConfig {
  files: Record<Kind, string>;
  /** Replay pacing (undefined: as fast as the client reads). */
  speed?: number;
  host: string;
  /** 0 = any free port. */
  port: number;
}

/** Parent → API process. */
export type ToApi = { type: 'status'; event: StatusEvent } | { type: 'close' };

/** API process → parent. */
export type FromApi =
  | { type: 'listening'; url: string }
  /** How far into a file the API has served (bytes past the last record), a few times a second. */
  | { type: 'read'; kind: Kind; offset: number }
  | { type: 'failed'; error: string };
