/**
 * Bundles the worker scripts (with the Sluice packages from their TypeScript sources) into plain
 * ESM JavaScript under `bench/.build/`, so that workers run on plain `node`: no TypeScript loader
 * thread in their RSS, CPU or profiles, as a built application would run. Client libraries (pg,
 * redis, kafkajs, sqlite3, amqplib) stay external and load from bench/node_modules.
 */
import { readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { build } from 'tsup';

/** Where the bundles go. */
export const BUILD_DIR = fileURLToPath(new URL('../.build/', import.meta.url));
const WORKERS_DIR = fileURLToPath(new URL('../workers/', import.meta.url));

/** Builds every worker to `BUILD_DIR/<name>.js`. */
export async function buildWorkers(): Promise<void> {
  const entries = (await readdir(WORKERS_DIR)).filter((f) => f.endsWith('.ts')).map((f) => `${WORKERS_DIR}${f}`);
  await build({
    entry: entries,
    outDir: BUILD_DIR,
    format: ['esm'],
    platform: 'node',
    target: 'node20',
    bundle: true,
    splitting: false,
    sourcemap: false,
    dts: false,
    clean: true,
    silent: true,
    config: false,
    outExtension: () => ({ js: '.js' }),
    noExternal: [/^@sluice\//, 'rxjs', 'zod'],
    external: ['pg', 'pg-copy-streams', 'redis', 'kafkajs', 'sqlite3', 'amqplib'],
    esbuildOptions(options) {
      options.conditions = ['source'];
    },
  });
}
