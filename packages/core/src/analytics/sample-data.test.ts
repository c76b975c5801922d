/**
 * The whole analysis and the three renderers on the real sample files, when they are present
 * (`/work/shared/data`, or `SLUICE_SAMPLE_DATA`); skipped with a visible reason otherwise.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderReportHtml, renderReportJson, renderReportMarkdown } from '../report/index.js';
import { metricSchema, workorderSchema } from '../schemas/machine-data.js';
import { rankCorrelations } from './rank-correlations.js';
import { numbersIn } from './test-support.js';

const dir = process.env.SLUICE_SAMPLE_DATA ?? '/work/shared/data';
const present = existsSync(join(dir, 'metrics.json')) && existsSync(join(dir, 'workorder.json'));
if (!present) console.log(`sample-data tests skipped: no metrics.json/workorder.json in ${dir} (set SLUICE_SAMPLE_DATA to their folder)`);

describe.skipIf(!present)('rankCorrelations on the sample files', () => {
  const load = <T>(file: string, parse: (v: unknown) => T): T[] => (JSON.parse(readFileSync(join(dir, file), 'utf8')) as unknown[]).map(parse);
  const metrics = present ? load('metrics.json', (v) => metricSchema.parse(v)) : [];
  const workorders = present ? load('workorder.json', (v) => workorderSchema.parse(v)) : [];
  const result = rankCorrelations(metrics, workorders);

  it('analyses every product with every parameter ranked or excluded with a reason', () => {
    const products = [...new Set(workorders.map((w) => w.product))];
    const parameters = [...new Set(metrics.map((m) => m.id))];
    expect(result.products.map((p) => p.product).sort()).toEqual(products.sort());
    for (const product of result.products) {
      expect(product.status).toBe('ok');
      expect(product.intervals).toBeGreaterThan(100);
      const covered = [...product.ranking, ...product.excluded].map((e) => e.parameter);
      expect(covered.sort()).toEqual([...parameters].sort());
      expect(product.series.length).toBe(Math.min(3, product.ranking.length));
    }
  });

  it('recognises the steadily rising parameters as counters', () => {
    const counters = result.parameters.filter((p) => p.kind === 'counter').map((p) => p.parameter);
    expect(counters).toEqual([8, 10, 11, 13, 14, 15, 17, 18, 19]);
  });

  it('produces well-formed reports without NaN', () => {
    expect(numbersIn(result).filter((n) => !Number.isFinite(n.value))).toEqual([]);
    const json = renderReportJson(result);
    expect(json).not.toMatch(/NaN|null|Infinity/);
    expect(JSON.parse(json).products).toHaveLength(result.products.length);
    expect(renderReportMarkdown(result)).toMatch(/## Summary/);
    expect(renderReportHtml(result)).not.toMatch(/NaN/);
  });
});
