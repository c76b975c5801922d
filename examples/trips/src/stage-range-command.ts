/**
 * `trips stage-range`: reads one byte range of a file into a bulk ingestion's staging (started by
 * `trips ingest --bulk` for each range but the first; see staging.ts). Prints its status events on
 * stdout, one JSON object a line, and its cost on stderr.
 */
import { ConfigError } from '@sluice/core';
import { integerOption, parseCommandLine, type Shutdown } from '@sluice/runtime';
import { tripWriter } from './ingest.js';
import { openTripsStore } from './open.js';
import { stageRange } from './staging.js';

const usage = `Usage: pnpm trips stage-range FILE --store URL --ingestion ID --after OFFSET:LINE --end OFFSET [--name NAME] [--batch N]
  Started by \`trips ingest --bulk\`: stages the rows of FILE that start after byte OFFSET (the end of
  line LINE) and before byte --end into the staging of ingestion ID. Status events go to stdout.`;

export async function stageRangeCommand(argv: string[], shutdown: Shutdown): Promise<void> {
  const { values, positionals } = parseCommandLine(argv, {
    usage,
    options: { store: { type: 'string' }, ingestion: { type: 'string' }, after: { type: 'string' }, end: { type: 'string' }, name: { type: 'string' }, batch: { type: 'string' } },
    positionals: { min: 1, max: 1, names: 'FILE' },
  });
  const path = positionals[0]!;
  const after = /^(\d+):(\d+)$/.exec(values.after ?? '');
  if (after === null) throw new ConfigError(`--after must be OFFSET:LINE (two whole numbers), got ${JSON.stringify(values.after ?? '')}`, 'after');
  const ingestion = integerOption('ingestion', values.ingestion, { min: 0 });
  const end = integerOption('end', values.end, { min: 0 });
  if (ingestion === undefined || end === undefined) throw new ConfigError('--ingestion and --end are required', ingestion === undefined ? 'ingestion' : 'end');
  const batchSize = integerOption('batch', values.batch, { min: 1, max: 100_000 });
  const { store: plain, settings } = await openTripsStore(values.store, shutdown);
  const { store, toRow } = tripWriter(plain, ingestion, settings);
  const name = values.name ?? path;
  const run = shutdown.track(
    stageRange(
      { store, toRow, path, name, pipeline: `stage:${name}`, ...(batchSize ? { batchSize } : {}) },
      { from: { offset: Number(after[1]), line: Number(after[2]) }, end },
    ),
  );
  const subscription = run.status$.subscribe({ next: (event) => process.stdout.write(`${JSON.stringify(event)}\n`), error: () => undefined });
  try {
    await run.done;
  } finally {
    subscription.unsubscribe();
  }
  const cost = process.resourceUsage();
  console.error(`trips-stage-usage ${JSON.stringify({ pid: process.pid, cpuS: (cost.userCPUTime + cost.systemCPUTime) / 1e6, maxRssMb: Math.round(cost.maxRSS / 1024) })}`);
}
