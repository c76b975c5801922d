/** Text of the progress view (pure). */
import { fractionDone, recordsDone, type PipelineProgress } from './totals.js';

const count = (n: number) => Math.round(n).toLocaleString('en-US');

/** `1h02m`, `3m05s`, `12.3s`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '?';
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(Math.floor(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** Records per second over the pipeline's life so far. */
export function rateOf(entry: PipelineProgress, now: number): number {
  const seconds = (now - entry.startedAt) / 1000;
  return seconds > 0 ? recordsDone(entry) / seconds : 0;
}

/** ANSI colours, used only where the view allows them (a TTY and no `NO_COLOR`). */
export interface Paint {
  red(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
  dim(text: string): string;
}

const none: Paint = { red: (t) => t, green: (t) => t, yellow: (t) => t, dim: (t) => t };
const ansi: Paint = {
  red: (t) => `\x1b[31m${t}\x1b[39m`,
  green: (t) => `\x1b[32m${t}\x1b[39m`,
  yellow: (t) => `\x1b[33m${t}\x1b[39m`,
  dim: (t) => `\x1b[2m${t}\x1b[22m`,
};

/** The paint for a view: colours only when asked for. */
export function paint(color: boolean): Paint {
  return color ? ansi : none;
}

/**
 * One line for one pipeline: counts, rate, and percent with ETA when the total is known, e.g.
 * `produce:metrics  read 1,200,000 · published 1,199,990 · rejected 10 · 48,211/s · 41% · ETA 1m12s`.
 */
export function formatProgressLine(entry: PipelineProgress, now: number, colors: Paint = none): string {
  const parts = [`read ${count(entry.read)}`];
  if (entry.published > 0) parts.push(`published ${count(entry.published)}`);
  if (entry.persisted > 0 || entry.published === 0) parts.push(`persisted ${count(entry.persisted)}`);
  parts.push(entry.rejected > 0 ? colors.yellow(`rejected ${count(entry.rejected)}`) : `rejected 0`);
  if (entry.retries > 0) parts.push(colors.yellow(`retries ${count(entry.retries)}`));
  const end = entry.state === 'running' ? now : entry.lastAt;
  parts.push(`${count(rateOf(entry, end))}/s`);
  const fraction = fractionDone(entry);
  if (entry.state === 'running') {
    if (fraction !== undefined) {
      parts.push(`${Math.floor(fraction * 100)}%`);
      const elapsed = now - entry.startedAt;
      if (fraction > 0.001 && elapsed > 1000) parts.push(`ETA ${formatDuration((elapsed * (1 - fraction)) / fraction)}`);
    }
  } else {
    const how = entry.state === 'failed' ? colors.red('FAILED') : entry.state === 'stopped' ? colors.yellow('stopped') : colors.green('done');
    parts.push(`${how} in ${formatDuration(entry.lastAt - entry.startedAt)}`);
  }
  return `${entry.pipeline}  ${parts.join(' · ')}`;
}
