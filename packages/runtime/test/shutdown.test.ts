import { Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { PipelineRun, PipelineSummary, StatusEvent } from '@sluice/core';
import { createShutdown } from '../src/index.js';

function fakeRun(): PipelineRun & { stops: number } {
  let resolve!: (s: PipelineSummary) => void;
  const done = new Promise<PipelineSummary>((r) => (resolve = r));
  const run = {
    stops: 0,
    status$: new Subject<StatusEvent>(),
    done,
    stop: async () => {
      run.stops++;
      resolve({ read: 1, published: 0, persisted: 1, rejected: 0, stopped: true });
      return done;
    },
  };
  return run;
}

describe('createShutdown', () => {
  it('stops the pipelines on the first signal, exits at once on the second, closes newest first', async () => {
    const lines: string[] = [];
    let forced = 0;
    const shutdown = createShutdown({ signals: ['SIGUSR2'], log: (l) => lines.push(l), forceExit: () => forced++ });
    const closed: string[] = [];
    shutdown.own({ close: async () => void closed.push('store') });
    shutdown.own({ close: async () => void closed.push('broker') });
    const run = shutdown.track(fakeRun());
    process.emit('SIGUSR2', 'SIGUSR2');
    expect(await shutdown.signalled).toBe('SIGUSR2');
    expect((await run.done).stopped).toBe(true);
    expect(run.stops).toBe(1);
    expect(shutdown.stopping).toBe(true);
    process.emit('SIGUSR2', 'SIGUSR2');
    expect(forced).toBe(1);
    expect(lines[0]).toMatch(/SIGUSR2: stopping/);
    await shutdown.close();
    await shutdown.close();
    expect(closed).toEqual(['broker', 'store']);
    expect(process.listenerCount('SIGUSR2')).toBe(0);
  });

  it('stops a run tracked after the signal, and logs a resource that fails to close', async () => {
    const lines: string[] = [];
    const shutdown = createShutdown({ signals: ['SIGUSR2'], log: (l) => lines.push(l), forceExit: () => undefined });
    process.emit('SIGUSR2', 'SIGUSR2');
    const late = shutdown.track(fakeRun());
    await late.done;
    expect(late.stops).toBe(1);
    shutdown.own({ close: async () => Promise.reject(new Error('lost postgres://u:pw@h')) });
    await shutdown.close();
    expect(lines.at(-1)).toBe('closing failed: Error: lost postgres://u:***@h');
  });
});
