/**
 * `sluice-gen machine-data [--out DIR] [--parameters N] [--products N] [--counters N] [--days N]
 *   [--metric-interval-s N] [--workorder-interval-s N] [--schedule concurrent|turns]
 *   [--ids number|string] [--time-format iso|epoch-s|epoch-ms] [--seed N]`
 */
import { ConfigError, describeError } from '@sluice/core';
import { generateFiles, parseGenArgs } from './generate.js';

async function main(): Promise<void> {
  const [kind, ...rest] = process.argv.slice(2);
  if (kind !== 'machine-data') throw new ConfigError(`usage: sluice-gen machine-data [options]; unknown kind "${String(kind)}"`, 'kind');
  const { out, options, timeFormat } = parseGenArgs(rest);
  const files = await generateFiles(out, options, timeFormat);
  console.log(`${files.metrics}\n${files.workorders}\n${files.truth} (planted drivers)`);
}

main().catch((error: unknown) => {
  console.error(`sluice-gen: ${describeError(error)}`);
  process.exit(error instanceof ConfigError ? 2 : 1);
});
