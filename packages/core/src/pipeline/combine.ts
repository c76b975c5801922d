/** Several pipeline runs seen as one: merged status, summed summary, one stop. */
import { merge } from 'rxjs';
import type { PipelineRun, PipelineSummary } from '../types.js';

/** Adds the counts of several summaries; `stopped` if any run was stopped. */
export function sumSummaries(summaries: readonly PipelineSummary[]): PipelineSummary {
  return summaries.reduce<PipelineSummary>(
    (total, s) => ({
      read: total.read + s.read,
      published: total.published + s.published,
      persisted: total.persisted + s.persisted,
      rejected: total.rejected + s.rejected,
      stopped: total.stopped || s.stopped,
    }),
    { read: 0, published: 0, persisted: 0, rejected: 0, stopped: false },
  );
}

/**
 * One run over several: `status$` merges theirs, `done` resolves with the summed summary once all
 * are done (and rejects as soon as one fails, after stopping the others), `stop` stops them all.
 */
export function combineRuns(runs: readonly PipelineRun[]): PipelineRun {
  const stop = async () => sumSummaries(await Promise.all(runs.map((run) => run.stop())));
  const done = Promise.all(
    runs.map((run) =>
      run.done.catch(async (error: unknown) => {
        await Promise.allSettled(runs.map((other) => other.stop()));
        throw error;
      }),
    ),
  ).then(sumSummaries);
  done.catch(() => undefined);
  return { status$: merge(...runs.map((run) => run.status$)), done, stop };
}
