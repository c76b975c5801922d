/**
 * `sluice-gen machine-data [options]`: generated machine-data files with planted drivers. See
 * `genUsage` (or run with `--help`).
 */
import { HelpRequested, UsageError, asksForHelp, runMain } from '@sluice/runtime';
import { genUsage, generateFiles, parseGenArgs } from './generate.js';

void runMain('sluice-gen', async () => {
  const [kind, ...rest] = process.argv.slice(2);
  if (kind === undefined || kind === '--help' || kind === '-h' || (kind !== 'machine-data' && asksForHelp(rest))) throw new HelpRequested(genUsage);
  if (kind !== 'machine-data') throw new UsageError(`unknown kind "${kind}": the generator writes machine-data`, 'kind');
  const { out, options, timeFormat } = parseGenArgs(rest);
  const files = await generateFiles(out, options, timeFormat);
  console.log(`${files.metrics}\n${files.workorders}\n${files.truth} (planted drivers)`);
});
