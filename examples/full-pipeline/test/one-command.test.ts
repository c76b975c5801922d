/**
 * The one command, `pnpm full-pipeline --metrics F --workorders F --out DIR`, as a user runs it:
 * on generated files of other shapes (string ids, products in turns, other parameter counts,
 * epoch-ms times, stoppages and resets) the three report files are written, `report.json` has the
 * documented shape, and each product's top three are its planted drivers; on the sample files
 * (when present) the report is written too.
 */
import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { MachineDataOptions, MachineDataTimeFormat } from '@sluice/core';
import { describe, expect, it } from 'vitest';
import { generateFiles } from '../src/generate.js';
import { runCli } from './support/cli.js';
import { expectReportShape, expectTopThreeArePlanted, readJson, useTempDir } from './support/data.js';

const sample = { metrics: '/work/shared/data/metrics.json', workorders: '/work/shared/data/workorder.json' };
const DAY = 86_400_000;

/** Runs the command and checks what every run must show: exit 0, the three files, the shape. */
async function runOneCommand(files: { metrics: string; workorders: string }, out: string, idType: 'number' | 'string') {
  // stderr is a pipe here, as in `pnpm full-pipeline 2>&1 | cat`: progress comes as plain lines.
  const result = await runCli(['--metrics', files.metrics, '--workorders', files.workorders, '--out', out], 90_000, { SLUICE_PROGRESS_INTERVAL_MS: '100' });
  expect(result.code, result.stderr).toBe(0);
  for (const name of ['report.html', 'report.json', 'report.md']) {
    expect(result.stdout).toContain(join(out, name));
    expect((await stat(join(out, name))).size, name).toBeGreaterThan(100);
  }
  const report = await readJson<unknown>(join(out, 'report.json'));
  expectReportShape(report, idType);
  return { report, ...result };
}

describe('the one command (pnpm full-pipeline)', () => {
  const tmp = useTempDir('one-command');

  const shapes: { name: string; options: MachineDataOptions; timeFormat: MachineDataTimeFormat; ids: 'number' | 'string' }[] = [
    {
      name: 'string ids, three products taking turns, 12 parameters of which 3 counters',
      options: { ids: 'string', schedule: 'turns', parameters: 12, products: 3, counters: 3, seed: 7 },
      timeFormat: 'iso',
      ids: 'string',
    },
    {
      name: 'one product, 30 parameters of which 8 counters, epoch-ms times, stoppages and counter resets',
      options: { parameters: 30, products: 1, counters: 8, metricIntervalMs: 600_000, workorderIntervalMs: 1_800_000, durationMs: 12 * DAY, stoppages: 2, productionResets: 1, counterResets: 1, seed: 11 },
      timeFormat: 'epoch-ms',
      ids: 'number',
    },
  ];

  for (const shape of shapes) {
    it(`ranks the planted drivers first on generated data: ${shape.name}`, async () => {
      const data = join(tmp(), shape.name.slice(0, 12).replace(/\W/g, '-'));
      const files = await generateFiles(data, shape.options, shape.timeFormat);
      const { report, stderr } = await runOneCommand(files, join(data, 'out'), shape.ids);
      expectTopThreeArePlanted(report, files.planted);
      expect(stderr).toMatch(new RegExp(`published ${files.records.metrics + files.records.workorders}\\b`));
      expect(stderr).toMatch(/rejected 0/);
      expect(stderr).not.toMatch(/dead letters/);
      // Progress lines while the run goes on (no "done in" yet), not only a summary at the end.
      expect(stderr).toMatch(/^\[\d+\.\ds\] (produce|consume):metrics {2}read [\d,]+ · .*\d\/s$/m);
      expect(stderr).toMatch(/^\[\d+\.\ds\] consume:metrics {2}read [\d,]+ · persisted [\d,]+ · rejected 0 · [\d,]+\/s · (done|stopped) in /m);
      expect(stderr).not.toContain('\x1b[');
    });
  }

  it.skipIf(!existsSync(sample.metrics) || !existsSync(sample.workorders))('writes the report for the sample files', async () => {
    const { report, stderr } = await runOneCommand(sample, join(tmp(), 'sample'), 'number');
    expect(report.products.map((p) => p.product)).toEqual([0, 1]);
    for (const product of report.products) {
      expect(product.intervals).toBeGreaterThan(250);
      expect(product.ranking).toHaveLength(20);
    }
    expect(stderr).toMatch(/product 0: \d+ \(r /);
  });
});
