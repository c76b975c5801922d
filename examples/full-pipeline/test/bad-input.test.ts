/**
 * Bad input through the one command: empty files, a JSON file that is not an array, records with
 * missing fields or wrong types, unsorted and duplicated records, unknown products. Each gets a
 * clear message or a dead letter with its reason, nothing valid is lost, and the run still ends
 * with a report.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createSqliteStore } from '@sluice/store-sqlite';
import { describe, expect, it } from 'vitest';
import { generateFiles } from '../src/generate.js';
import { defaultNames } from '../src/tables.js';
import { runCli } from './support/cli.js';
import { expectReportShape, expectTopThreeArePlanted, readJson, useTempDir } from './support/data.js';

/** A deterministic shuffle (the input must be unsorted, the test repeatable). */
function shuffled<T>(items: readonly T[], seed = 42): T[] {
  const out = [...items];
  let state = seed;
  for (let i = out.length - 1; i > 0; i--) {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    const j = state % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** A JSON array file from element texts (so malformed elements can be written as they are). */
const arrayText = (elements: readonly string[]): string => `[\n${elements.join(',\n')}\n]\n`;

describe('bad input through the one command', () => {
  const tmp = useTempDir('bad-input');

  it('an empty file and a JSON file that is not an array: clear reasons, exit 0, an (empty) report', async () => {
    const dir = tmp();
    const files = { metrics: join(dir, 'empty.json'), workorders: join(dir, 'object.json') };
    await writeFile(files.metrics, '');
    await writeFile(files.workorders, '{"time": 1624377478, "product": 0, "production": 1}\n');
    const out = join(dir, 'out-empty');
    const result = await runCli(['--metrics', files.metrics, '--workorders', files.workorders, '--out', out]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/2 record\(s\) went to the dead letters/);
    expect(result.stderr).toMatch(/api:metrics: the file is empty: expected a JSON array/);
    expect(result.stderr).toMatch(/api:workorders: .*not a JSON array/);
    const report = await readJson<unknown>(join(out, 'report.json'));
    expectReportShape(report, 'number');
    expect(report.products).toEqual([]);
    expect(await readFile(join(out, 'report.html'), 'utf8')).toMatch(/<table class="summary">/);
  });

  it('a missing input file is refused up front with the path and what to give instead', async () => {
    const dir = tmp();
    const result = await runCli(['--metrics', join(dir, 'nowhere.json'), '--workorders', join(dir, 'nowhere.json'), '--out', join(dir, 'out-missing')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/cannot read --metrics .*nowhere\.json: ENOENT; give the path of a JSON array file/);
  });

  it('invalid, unsorted, duplicated records and unknown products: dead letters with reasons, every valid record stored, the report still right', async () => {
    const data = join(tmp(), 'generated');
    const generated = await generateFiles(data, { parameters: 10, products: 2, counters: 2, durationMs: 21 * 86_400_000, seed: 5 }, 'epoch-s');
    const metrics = await readJson<{ id: number; val: number; time: number }[]>(generated.metrics);
    const workorders = await readJson<{ time: number; product: number; production: number }[]>(generated.workorders);
    const t0 = workorders[0]!.time;

    const badMetrics: [string, RegExp][] = [
      ['{"id": 3, "val": }', /element \d+ of the JSON array is not valid JSON/],
      ['{"val": 1.5, "time": 1624377478}', /^invalid record: id: /],
      ['{"id": 3, "time": 1624377478}', /^invalid record: val: /],
      ['{"id": 3, "val": "high", "time": 1624377478}', /^invalid record: val: .*expected number, received string/],
      ['{"id": 3, "val": 1, "time": "yesterday"}', /^invalid record: time: not a valid time: "yesterday"/],
      ['{"id": {"name": 3}, "val": 1, "time": 1624377478}', /^invalid record: id: /],
      ['{"id": "", "val": 1, "time": 1624377478}', /^invalid record: id: /],
      ['42', /^invalid record: \(record\): .*expected object/],
      ['null', /^invalid record: \(record\): .*expected object/],
    ];
    const badWorkorders: [string, RegExp][] = [
      ['{"time": 1624377478, "product": null, "production": 3}', /^invalid record: product: /],
      ['{"time": 1624377478, "product": 0, "production": "many"}', /^invalid record: production: .*expected number/],
      ['{"product": 0, "production": 3}', /^invalid record: time: /],
      ['[1, 2, 3]', /^invalid record: \(record\): .*expected object/],
    ];
    // Unknown product 99 with two readings only; the same sample and readings repeated; everything shuffled.
    const ghost = [{ time: t0, product: 99, production: 0 }, { time: t0 + 3600, product: 99, production: 5 }];
    const metricElements = shuffled([...metrics, ...metrics.slice(0, 150), ...metrics.slice(1000, 1010)].map((m) => JSON.stringify(m)));
    const workorderElements = shuffled([...workorders, ...ghost, ...workorders.slice(5, 25)].map((w) => JSON.stringify(w)));
    metricElements.splice(100, 0, ...badMetrics.slice(0, 4).map(([text]) => text));
    metricElements.splice(5000, 0, ...badMetrics.slice(4).map(([text]) => text));
    workorderElements.splice(10, 0, ...badWorkorders.map(([text]) => text));
    const files = { metrics: join(data, 'bad-metrics.json'), workorders: join(data, 'bad-workorder.json') };
    await writeFile(files.metrics, arrayText(metricElements));
    await writeFile(files.workorders, arrayText(workorderElements));

    const out = join(data, 'out');
    const result = await runCli(['--metrics', files.metrics, '--workorders', files.workorders, '--out', out], 90_000);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(new RegExp(`${badMetrics.length + badWorkorders.length} record\\(s\\) went to the dead letters`));

    // Every dead letter carries its reason; each bad record is there once, with the reason it deserves.
    const store = createSqliteStore({ filename: join(out, 'sluice.db') });
    try {
      const letters = await store.readDeadLetters();
      const of = (origin: string) => letters.filter((l) => l.origin === origin);
      const explain = (expected: [string, RegExp][], got: typeof letters) => {
        expect(got).toHaveLength(expected.length);
        for (const [text, reason] of expected) {
          const letter = got.find((l) => l.payload.replace(/\s/g, '') === text.replace(/\s/g, ''));
          expect(letter, `dead letter for ${text}`).toBeDefined();
          expect(letter!.reason).toMatch(reason);
        }
      };
      explain(badMetrics, of('api:metrics'));
      explain(badWorkorders, of('api:workorders'));

      // Nothing valid is lost and duplicates are one row each.
      const count = async (table: string) => Number((await store.query<{ n: number }>(`SELECT count(*) AS n FROM ${table}`))[0]!.n);
      expect(await count(defaultNames.metricsTable)).toBe(metrics.length);
      expect(await count(defaultNames.workordersTable)).toBe(workorders.length + ghost.length);
    } finally {
      await store.close();
    }

    // The report: the real products still find their planted drivers; the unknown one is reported as too short.
    const report = await readJson<unknown>(join(out, 'report.json'));
    expectReportShape(report, 'number');
    const known = { ...report, products: report.products.filter((p) => p.product !== 99) };
    expectTopThreeArePlanted(known, generated.planted);
    const unknown = report.products.find((p) => p.product === 99);
    expect(unknown).toMatchObject({ ranking: [] });
    expect(await readFile(join(out, 'report.md'), 'utf8')).toMatch(/## Product 99[\s\S]*usable intervals/);
  });
});
