/**
 * The node flags (heap bounds) and environment (glibc malloc settings) a root `package.json`
 * script gives its command, so that a bench runs the command as `pnpm <script>` does, without tsx's
 * launcher process in between.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** `--max-old-space-size=…`/`--max-semi-space-size=…` words and `MALLOC_…=…` assignments of script `name`. */
export function scriptSettings(root: string, name: string): { nodeFlags: string[]; env: Record<string, string> } {
  const scripts = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
  const script = scripts[name];
  if (script === undefined) throw new Error(`package.json has no script "${name}"`);
  const words = script.split(/\s+/);
  return {
    nodeFlags: words.filter((word) => /^--max-(old|semi)-space-size=\d+$/.test(word)),
    env: Object.fromEntries(words.filter((word) => /^MALLOC_[A-Z_]+=\d+$/.test(word)).map((word) => word.split('=') as [string, string])),
  };
}
