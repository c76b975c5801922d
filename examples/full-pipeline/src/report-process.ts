/**
 * The `run` command's last stage, the report, as the `report` command in a process of its own:
 * it starts with a fresh heap instead of inheriting what ingestion left for the collector, so each
 * stage's memory is its own (the year-scale bench checks every process). The child is run the way
 * this process runs (`process.execArgv`: tsx under `pnpm`), with the store URL in its environment
 * rather than on its command line, where other users of the machine could read a password.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { StageProcessError } from './errors.js';

const cli = fileURLToPath(new URL('./cli.ts', import.meta.url));

/**
 * glibc malloc settings for the report (the environment's own win): two arenas, and buffers of
 * 128 KiB or more always mapped on their own, so that the per-parameter arrays the analysis frees
 * go back to the system instead of staying in a fragmented heap (a year's report: 257 -> 234 MB
 * peak RSS, measured in BENCHMARKS.md). `pnpm full-pipeline` sets the same; other libcs ignore them.
 */
const MALLOC_SETTINGS = { MALLOC_ARENA_MAX: '2', MALLOC_MMAP_THRESHOLD_: '131072' };

/** What the report process needs: where to write, which store, which prefix. */
export interface ReportProcessOptions {
  out: string;
  storeUrl: string;
  prefix: string;
}

/** Runs `report` in a child process with this process's stdout and stderr; rejects if it fails. */
export async function runReportProcess(options: ReportProcessOptions): Promise<void> {
  const args = [...process.execArgv, cli, 'report', '--out', options.out, '--prefix', options.prefix];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'inherit', 'inherit'], env: { ...MALLOC_SETTINGS, ...process.env, SLUICE_STORE: options.storeUrl } });
  const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
  if (code !== 0) throw new StageProcessError(`the report process failed (${signal ?? `exit code ${code}`}); its error is above. Run \`pnpm full-pipeline report\` with the same --out, --store and --prefix to retry the report alone.`);
}
