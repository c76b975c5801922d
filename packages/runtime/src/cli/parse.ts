/**
 * The command line of every Sluice command: `--help` prints the usage and exits 0 (before any
 * other check, so it always works); an unknown option or a bad value is a `UsageError` with one
 * line naming it, which {@link runMain} turns into exit status 2.
 */
import { parseArgs } from 'node:util';
import { UsageError } from '../errors.js';

/** One option: a string or a boolean flag, as `node:util` `parseArgs` takes it. */
export interface OptionDef {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  default?: string | boolean | string[];
}

/** Values of parsed options, typed from their definitions. */
export type OptionValues<O extends Record<string, OptionDef>> = {
  [K in keyof O]: O[K]['type'] extends 'boolean'
    ? O[K]['multiple'] extends true
      ? boolean[]
      : boolean | (O[K]['default'] extends boolean ? never : undefined)
    : O[K]['multiple'] extends true
      ? string[]
      : string | (O[K]['default'] extends string ? never : undefined);
};

/** Thrown by {@link parseCommandLine} when `--help` or `-h` is given; {@link runMain} prints the usage. */
export class HelpRequested {
  constructor(readonly usage: string) {}
}

/** What a command line parses to. */
export interface ParsedCommandLine<O extends Record<string, OptionDef>> {
  values: OptionValues<O>;
  positionals: string[];
}

/** Whether `--help`/`-h` stands before any `--`. */
export function asksForHelp(argv: readonly string[]): boolean {
  for (const arg of argv) {
    if (arg === '--') return false;
    if (arg === '--help' || arg === '-h') return true;
  }
  return false;
}

/** One short line for a `parseArgs` error. */
function usageProblem(error: { code?: string; message: string }): string {
  const quoted = /'([^']+)'/.exec(error.message)?.[1];
  switch (error.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option ${quoted ?? ''}`.trim();
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return error.message.replace(/\.$/, '').replace(/^Option '([^']+)'/, 'option $1');
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `unexpected argument ${quoted ?? ''}`.trim();
    default:
      return error.message;
  }
}

/**
 * Parses `argv` (without node and the script) against `options`. Throws `HelpRequested` for
 * `--help`, `UsageError` for anything it cannot take.
 */
export function parseCommandLine<O extends Record<string, OptionDef>>(
  argv: readonly string[],
  spec: { usage: string; options: O; positionals?: { min?: number; max?: number; names?: string } },
): ParsedCommandLine<O> {
  if (asksForHelp(argv)) throw new HelpRequested(spec.usage);
  let parsed: { values: Record<string, unknown>; positionals: string[] };
  try {
    parsed = parseArgs({ args: [...argv], options: spec.options as never, allowPositionals: (spec.positionals?.max ?? 0) > 0, strict: true }) as never;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) throw new UsageError(usageProblem(error as { code: string; message: string }), 'argv');
    throw error;
  }
  const { min = 0, max = 0, names = 'arguments' } = spec.positionals ?? {};
  if (parsed.positionals.length < min) throw new UsageError(`missing ${names}`, 'argv');
  if (parsed.positionals.length > max) throw new UsageError(`unexpected argument "${parsed.positionals[max]}"`, 'argv');
  return { values: parsed.values as OptionValues<O>, positionals: parsed.positionals };
}
