/**
 * The entry point of a command: runs it, prints `--help`, and turns errors into one line on
 * stderr with the exit status people and scripts expect (0 done, 1 failed, 2 bad usage or
 * configuration, 130 interrupted twice). Passwords are removed from every message.
 */
import { ConfigError, describeError } from '@sluice/core';
import { redact } from '../redact.js';
import { HelpRequested } from './parse.js';

/** Exit status of a thrown value, and the line to print. */
export function describeExit(name: string, error: unknown): { code: number; line: string; stdout?: boolean } {
  if (error instanceof HelpRequested) return { code: 0, line: error.usage, stdout: true };
  if (error instanceof ConfigError) return { code: 2, line: redact(`${name}: ${error.message} (see ${name} --help)`) };
  return { code: 1, line: redact(`${name}: ${describeError(error)}`) };
}

/**
 * Runs `main` and exits: with its returned status (default 0), or as {@link describeExit} says
 * for what it throws. `exit` defaults to `process.exit`, which also ends timers and sockets that
 * a library left open.
 */
export function runMain(name: string, main: () => Promise<number | void>, exit: (code: number) => void = (code) => process.exit(code)): Promise<void> {
  return main().then(
    (code) => exit(code ?? 0),
    (error: unknown) => {
      const { code, line, stdout } = describeExit(name, error);
      (stdout ? process.stdout : process.stderr).write(`${line}\n`);
      exit(code);
    },
  );
}
