/**
 * Summarises V8 CPU profiles (`pnpm bench --profile` writes one per worker process): the functions
 * with the most self time, and the source files with the most self and total time. Frames in a
 * worker bundle (bench/.build) are traced back to their source file through the `// path` comment
 * esbuild puts before each module.
 *
 *   cd bench && npx tsx profile-summary.ts results/profiles/<run>/<role>-<time>.cpuprofile [--top 25]
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '25' } } });
const top = Number(values.top);
if (positionals.length === 0) {
  console.error('usage: npx tsx profile-summary.ts FILE.cpuprofile [FILE…] [--top N]');
  process.exit(2);
}

/** Per bundle file: the line numbers (0-based) where a module starts, and its source path. */
const modules = new Map<string, { line: number; source: string }[]>();

async function loadModules(url: string): Promise<void> {
  if (modules.has(url) || !url.includes('/.build/')) return;
  const starts: { line: number; source: string }[] = [];
  const text = await readFile(new URL(url), 'utf8').catch(() => '');
  text.split('\n').forEach((line, i) => {
    const match = /^\/\/ (\S+\.[cm]?[jt]s)$/.exec(line);
    if (match) starts.push({ line: i, source: match[1]! });
  });
  modules.set(url, starts);
}

/** The source file of a position in a bundle, or the file itself. */
function sourceOf(url: string, line: number): string {
  const starts = modules.get(url);
  let source = url;
  for (const start of starts ?? []) if (start.line <= line) source = start.source;
  return source.replace(/^file:\/\//, '').replace(/^(\.\.\/)+/, '').replace(/^.*\/work\/main\//, '').replace(/^.*node_modules\/\.pnpm\/[^/]+\/node_modules\//, '');
}

/** `file function` of a frame, with the repository prefix cut off. */
function frameName(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  return `${url ? sourceOf(url, lineNumber) : '(native)'} ${functionName || '(anonymous)'}`;
}

function fileOf(node: ProfileNode): string {
  return node.callFrame.url ? sourceOf(node.callFrame.url, node.callFrame.lineNumber) : '(native)';
}

/** Prints the top entries with their share of all sampled time and of the busy (non-idle) time. */
function table(title: string, entries: Map<string, number>, total: number, busy: number): void {
  console.log(`\n${title} (% of all samples, % of busy samples)`);
  for (const [name, us] of [...entries].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    const ofBusy = name.includes('(idle)') ? '' : `${((us / busy) * 100).toFixed(1)}%`;
    console.log(`${((us / total) * 100).toFixed(1).padStart(5)}%  ${ofBusy.padStart(6)}  ${(us / 1000).toFixed(0).padStart(7)} ms  ${name}`);
  }
}

for (const path of positionals) {
  const profile = JSON.parse(await readFile(path, 'utf8')) as Profile;
  for (const node of profile.nodes) await loadModules(node.callFrame.url);
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const selfByFrame = new Map<string, number>();
  const selfByFile = new Map<string, number>();
  const totalByFile = new Map<string, number>();
  for (const [id, us] of self) {
    const node = byId.get(id)!;
    selfByFrame.set(frameName(node), (selfByFrame.get(frameName(node)) ?? 0) + us);
    selfByFile.set(fileOf(node), (selfByFile.get(fileOf(node)) ?? 0) + us);
    // Total time per file: count each sample once for every distinct file on its stack.
    const files = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) files.add(fileOf(byId.get(at)!));
    for (const file of files) totalByFile.set(file, (totalByFile.get(file) ?? 0) + us);
  }
  const idle = [...selfByFrame].filter(([name]) => name.endsWith('(idle)')).reduce((sum, [, us]) => sum + us, 0);
  const busy = total - idle;
  console.log(`${path}: ${(total / 1e6).toFixed(2)} s sampled, ${(busy / 1e6).toFixed(2)} s busy (${((busy / total) * 100).toFixed(0)}%)`);
  table('self time by function', selfByFrame, total, busy);
  table('self time by file', selfByFile, total, busy);
  table('total time by file (callees included)', totalByFile, total, busy);
}
