import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const root = fileURLToPath(new URL('.', import.meta.url));
// Tests import workspace packages from their TypeScript sources, so no build is needed to test.
const alias = readdirSync(`${root}packages`).flatMap((dir) => {
  const { name } = JSON.parse(readFileSync(`${root}packages/${dir}/package.json`, 'utf8')) as { name: string };
  const escaped = name.replace(/[/\\^$*+?.()|[\]{}]/g, '\\$&');
  return [
    { find: new RegExp(`^${escaped}/testkit$`), replacement: `${root}packages/${dir}/src/testkit/index.ts` },
    { find: new RegExp(`^${escaped}$`), replacement: `${root}packages/${dir}/src/index.ts` },
  ];
});

export default defineConfig({
  resolve: { alias },
  test: {
    exclude: ['**/node_modules/**', '**/dist/**'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    projects: [
      // Packages and examples: unit tests and adapter suites against real servers.
      { extends: true, test: { name: 'unit', include: ['packages/*/src/**/*.test.ts', 'packages/*/test/**/*.test.ts', 'examples/*/test/**/*.test.ts'] } },
      // Cross-process system tests: crashes, restarts, the bad-input corpus.
      { extends: true, test: { name: 'system', include: ['test/**/*.test.ts'], exclude: ['test/faults/**', '**/node_modules/**'] } },
      // Load tests of the HTTP front doors (`pnpm test:load`), run alone: they bound response times.
      { extends: true, test: { name: 'load', include: ['examples/*/test/**/*.load-test.ts'] } },
      // Fault injection at scale (`pnpm test:faults`; SLUICE_FAULT_ROWS sets the size).
      { extends: true, test: { name: 'faults', include: ['test/faults/**/*.test.ts'] } },
    ],
  },
});
