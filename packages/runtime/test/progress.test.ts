import { Subject } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { PipelineSummary, StatusEvent } from '@sluice/core';
import { createProgressView, formatDuration, formatProgressLine, foldProgress, showProgress, type PipelineProgress } from '../src/index.js';

/** A stream that records what is written. */
function sink(isTTY: boolean) {
  const chunks: string[] = [];
  return { chunks, isTTY, write: (text: string) => chunks.push(text), text: () => chunks.join('') };
}

const summary = (over: Partial<PipelineSummary> = {}): PipelineSummary => ({ read: 0, published: 0, persisted: 0, rejected: 0, stopped: false, ...over });

describe('progress lines (pure)', () => {
  it('show counts, rate, percent and ETA from the bytes of a file', () => {
    const pipelines = new Map<string, PipelineProgress>();
    foldProgress(pipelines, { pipeline: 'load', at: 0, type: 'started' }, { bytes: 1000 });
    foldProgress(pipelines, { pipeline: 'load', at: 10_000, type: 'read', count: 500, total: 500, position: { offset: 250 } });
    foldProgress(pipelines, { pipeline: 'load', at: 10_000, type: 'persisted', count: 490, total: 490 });
    foldProgress(pipelines, { pipeline: 'load', at: 10_000, type: 'rejected', count: 10, total: 10, reason: 'x' });
    const line = formatProgressLine(pipelines.get('load')!, 10_000);
    expect(line).toBe('load  read 500 · persisted 490 · rejected 10 · 50/s · 25% · ETA 30.0s');
  });

  it('end with the outcome and the time taken', () => {
    const pipelines = new Map<string, PipelineProgress>();
    foldProgress(pipelines, { pipeline: 'p', at: 0, type: 'started' });
    foldProgress(pipelines, { pipeline: 'p', at: 65_000, type: 'done', summary: summary({ read: 1300, published: 1300 }) });
    expect(formatProgressLine(pipelines.get('p')!, 99_000)).toBe('p  read 1,300 · published 1,300 · rejected 0 · 20/s · done in 1m05s');
    expect(formatDuration(3_723_000)).toBe('1h02m');
  });
});

describe('progress view', () => {
  beforeEach(() => vi.useFakeTimers({ now: 0 }));
  afterEach(() => vi.useRealTimers());

  it('writes a plain line at every interval when not on a terminal, and a summary at the end', () => {
    const out = sink(false);
    const status$ = new Subject<StatusEvent>();
    const view = showProgress(status$, { stream: out, intervalMs: 5000, now: () => Date.now() });
    status$.next({ pipeline: 'ingest', at: 0, type: 'started' });
    let total = 0;
    for (let second = 1; second <= 20; second++) {
      vi.advanceTimersByTime(1000);
      total += 1000;
      status$.next({ pipeline: 'ingest', at: Date.now(), type: 'read', count: 1000, total });
    }
    const during = out.chunks.filter((line) => line.includes('ingest'));
    // 20 s at a 5 s interval: 4 lines, each with the count at that moment.
    expect(during).toHaveLength(4);
    expect(during[0]).toMatch(/^\[5\.0s\] ingest {2}read 4,000 /);
    expect(during[3]).toMatch(/^\[20\.0s\] ingest {2}read 19,000 /);
    expect(out.text()).not.toContain('\x1b');
    status$.next({ pipeline: 'ingest', at: Date.now(), type: 'done', summary: summary({ read: 20_000, published: 20_000 }) });
    status$.complete();
    expect(out.chunks.at(-1)).toMatch(/ingest {2}read 20,000 · published 20,000 · rejected 0 · 1,000\/s · done in 20\.0s\n$/);
    vi.advanceTimersByTime(60_000);
    expect(out.chunks.filter((line) => line.includes('ingest'))).toHaveLength(5);
    expect(view.pipelines.get('ingest')?.state).toBe('done');
  });

  it('does not repeat a pipeline that did nothing since its last line, and says when nothing moves', () => {
    const out = sink(false);
    const status$ = new Subject<StatusEvent>();
    showProgress(status$, { stream: out, intervalMs: 1000, now: () => Date.now() });
    status$.next({ pipeline: 'busy', at: 0, type: 'read', count: 1, total: 1 });
    status$.next({ pipeline: 'idle', at: 0, type: 'read', count: 1, total: 1 });
    vi.advanceTimersByTime(1000);
    status$.next({ pipeline: 'busy', at: Date.now(), type: 'read', count: 1, total: 2 });
    vi.advanceTimersByTime(1000);
    vi.advanceTimersByTime(1000);
    expect(out.chunks).toEqual([
      expect.stringMatching(/^\[1\.0s\] busy {2}read 1 /),
      expect.stringMatching(/^\[1\.0s\] idle {2}read 1 /),
      expect.stringMatching(/^\[2\.0s\] busy {2}read 2 /),
      '[3.0s] no progress since the last line; still running: busy, idle\n',
    ]);
  });

  it('prints retries and failures on lines of their own, without passwords', () => {
    const out = sink(false);
    const status$ = new Subject<StatusEvent>();
    showProgress(status$, { stream: out, intervalMs: 5000 });
    status$.next({ pipeline: 'c', at: 0, type: 'retry', operation: 'write', attempt: 2, delayMs: 400, error: 'connect postgres://me:pw@db failed' });
    status$.next({ pipeline: 'c', at: 0, type: 'failed', error: 'gone', retriable: true, summary: summary() });
    expect(out.text()).toContain('c: retrying write (attempt 2, in 400 ms): connect postgres://me:***@db failed\n');
    expect(out.text()).toContain('c: FAILED: gone\n');
    expect(out.text()).not.toContain(':pw@');
  });

  it('redraws one line per pipeline in place on a terminal, in colour unless NO_COLOR is set', () => {
    for (const noColor of [false, true]) {
      const out = sink(true);
      const status$ = new Subject<StatusEvent>();
      const view = createProgressView({ stream: out, redrawMs: 0, color: !noColor });
      view.track(status$);
      status$.next({ pipeline: 'a', at: 0, type: 'read', count: 1, total: 1 });
      status$.next({ pipeline: 'b', at: 0, type: 'read', count: 1, total: 1 });
      status$.next({ pipeline: 'a', at: 0, type: 'rejected', count: 1, total: 1, reason: 'bad' });
      view.close();
      const text = out.text();
      expect(text).toContain('\x1b[2F\x1b[0J'); // moved up over the two drawn lines
      expect(text.includes('\x1b[33m')).toBe(!noColor);
    }
  });
});
