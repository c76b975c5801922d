/**
 * Headless Chromium for tests that look at a page as a person would (Debian's `chromium`, driven by
 * `playwright-core`, which each test package lists itself). With `CI=true` a missing browser fails
 * the run; elsewhere the suite is skipped with one line saying how to install it.
 */
import { existsSync } from 'node:fs';

/** Where the browser is: `SLUICE_CHROMIUM`, else `/usr/bin/chromium`. */
export const chromiumExecutable = process.env.SLUICE_CHROMIUM ?? '/usr/bin/chromium';

/** Launch flags: headless, no sandbox (root in a container), nothing that phones home. */
export const chromiumArgs = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] as const;

/**
 * Whether Chromium is installed. When it is not: throws under `CI=true`, otherwise prints one line
 * saying how to install it and returns false (skip the suite).
 */
export function requireChromium(): boolean {
  if (existsSync(chromiumExecutable)) return true;
  const line = `Chromium is not installed at ${chromiumExecutable}; install it with \`apt-get install -y chromium\` (or set SLUICE_CHROMIUM).`;
  if (process.env.CI === 'true') throw new Error(`${line} (CI=true: a missing browser fails the run)`);
  console.warn(`[skip] ${line}`);
  return false;
}

/** The part of a Playwright page the watcher uses. */
export interface WatchablePage {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Playwright's overloads per event name.
  on(event: 'console' | 'pageerror' | 'request', listener: (arg: any) => void): unknown;
}

/**
 * Collects what a page did wrong (console errors and warnings, uncaught errors) and every URL it
 * requested, so a test can assert a self-contained page: `problems` empty, `requests` only its own.
 */
export function watchPage(page: WatchablePage): { problems: string[]; requests: string[] } {
  const problems: string[] = [];
  const requests: string[] = [];
  page.on('console', (message: { type(): string; text(): string }) => {
    if (message.type() === 'error' || message.type() === 'warning') problems.push(`console ${message.type()}: ${message.text()}`);
  });
  page.on('pageerror', (error: Error) => problems.push(`page error: ${error.message}`));
  page.on('request', (request: { url(): string }) => requests.push(request.url()));
  return { problems, requests };
}
