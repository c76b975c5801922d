import { describe, expect, it } from 'vitest';
import { rankCorrelations } from '../analytics/rank-correlations.js';
import type { MachineDataId } from '../analytics/types.js';
import { generateMachineData } from '../datagen/generate.js';
import type { Workorder } from '../schemas/machine-data.js';
import { escapeHtml, escapeMarkdown } from './escape.js';
import { renderReportHtml } from './html.js';
import { renderReportJson } from './json.js';
import { renderReportMarkdown } from './markdown.js';
import { formatCi, formatLag, formatR } from './format.js';
import { niceTicks } from './svg/scale.js';

const HOSTILE = '<script>alert("x")</script>&|*_`[a](b)';

/** Generated data whose strongest driver of product-0, and product-1 itself, get hostile ids. */
function hostileResult() {
  const data = generateMachineData({ seed: 41, ids: 'string', durationMs: 14 * 86_400_000 });
  const driver = data.truth.products[0]!.drivers[0]!.parameter;
  const rename = (id: MachineDataId) => (id === driver ? HOSTILE : id === 'product-1' ? `${HOSTILE}!` : id);
  const metrics = { ...data.metrics, id: data.metrics.id.map(rename) };
  const workorders: Workorder[] = data.workorders.map((w) => ({ ...w, product: rename(w.product) }));
  // A product with too few readings, to show how the reports say so.
  workorders.push({ time: data.options.start, product: 'tiny', production: 0 }, { time: data.options.start + 3_600_000, product: 'tiny', production: 5 });
  return rankCorrelations(metrics, workorders);
}

describe('renderReportJson', () => {
  const data = generateMachineData({ seed: 42, durationMs: 14 * 86_400_000 });
  const result = rankCorrelations(data.metrics, data.workorders);
  const json = JSON.parse(renderReportJson(result)) as { products: Record<string, unknown>[] };

  it('has exactly the documented keys and types, strongest first, ids as in the input', () => {
    expect(Object.keys(json)).toEqual(['products']);
    expect(json.products).toHaveLength(2);
    json.products.forEach((product, i) => {
      expect(Object.keys(product)).toEqual(['product', 'intervals', 'ranking']);
      expect(product.product).toBe(i); // numeric ids stay numbers
      expect(product.intervals).toBe(result.products[i]!.intervals);
      const ranking = product.ranking as Record<string, unknown>[];
      expect(ranking).toHaveLength(20);
      for (const entry of ranking) {
        expect(Object.keys(entry)).toEqual(['parameter', 'r', 'spearman', 'n', 'p', 'ci', 'lagSeconds']);
        expect(entry.lagSeconds).toBe(result.products[i]!.ranking.find((e) => e.parameter === entry.parameter)!.lagSeconds);
        expect(typeof entry.parameter).toBe('number');
        for (const key of ['r', 'spearman', 'n', 'p']) expect(Number.isFinite(entry[key])).toBe(true);
        expect((entry.ci as number[]).length).toBe(2);
      }
      const strengths = ranking.map((e) => Math.abs(e.r as number));
      expect(strengths).toEqual([...strengths].sort((a, b) => b - a)); // strongest |r| at its lag first
    });
  });

  it('keeps string ids as strings and reports products without a ranking', () => {
    const hostile = JSON.parse(renderReportJson(hostileResult())) as { products: { product: unknown; intervals: number; ranking: { parameter: unknown }[] }[] };
    expect(hostile.products.map((p) => p.product)).toContain(`${HOSTILE}!`);
    expect(hostile.products.find((p) => p.product === 'product-0')!.ranking[0]!.parameter).toBe(HOSTILE);
    const tiny = hostile.products.find((p) => p.product === 'tiny')!;
    expect(tiny).toEqual({ product: 'tiny', intervals: 1, ranking: [] });
    expect(renderReportMarkdown(hostileResult())).toMatch(/usable intervals/);
  });
});

describe('renderReportHtml', () => {
  const result = hostileResult();
  const html = renderReportHtml(result);

  it('draws one SVG per chart: a bar chart per ranked product, a scatter and a lag profile per top-three parameter', () => {
    const expected = result.products.reduce((sum, p) => sum + (p.ranking.length > 0 ? 1 + Math.min(3, p.series.length) + Math.min(3, p.ranking.length) : 0), 0);
    expect(expected).toBe(2 * 7);
    expect(html.match(/<polyline class="profile"/g)).toHaveLength(2 * 3);
    expect(html.match(/<svg[\s>]/g)).toHaveLength(expected);
    expect(html.match(/<\/svg>/g)).toHaveLength(expected);
  });

  it('puts the summary table first', () => {
    const summary = html.indexOf('<table class="summary">');
    expect(summary).toBeGreaterThan(0);
    expect(summary).toBeLessThan(html.indexOf('<svg'));
    expect(html.slice(summary, html.indexOf('</table>', summary)).match(/<tr>/g)).toHaveLength(1 + result.products.length);
  });

  it('escapes every id from the data and is self-contained', () => {
    expect(html).not.toContain('<script');
    expect(html).not.toContain(HOSTILE);
    expect(html).toContain(escapeHtml(HOSTILE));
    expect(html).not.toMatch(/<link|<img|<iframe|@import|url\(|src=|href="(?!#)/i);
    expect(html).toMatch(/Content-Security-Policy" content="default-src 'none'/);
    expect(html).not.toMatch(/NaN|undefined/);
  });

  it('says why a product has no ranking', () => {
    expect(html).toMatch(/<td colspan="3" class="note">only 1 usable intervals/);
  });
});

describe('renderReportMarkdown', () => {
  const result = hostileResult();
  const md = renderReportMarkdown(result);

  it('starts with the summary table, one row per product', () => {
    const lines = md.split('\n');
    const header = lines.indexOf('## Summary') + 2;
    expect(lines[header]).toMatch(/^\| Product \| Intervals \| 1st \(r, 95% CI, lag\) \| 2nd/);
    expect(lines[header + 1]).toMatch(/^\| --- \| ---: \|/);
    const rows = lines.slice(header + 2, lines.indexOf('', header));
    expect(rows).toHaveLength(result.products.length);
    expect(rows.every((row) => row.split(/(?<!\\)\|/).length === 7)).toBe(true); // cells intact despite `|` in ids
  });

  it('escapes ids so they cannot inject HTML or break tables', () => {
    expect(md).not.toContain('<script');
    expect(md).toContain(escapeMarkdown(HOSTILE));
    expect(md).toContain('\\|');
  });

  it('has a full ranking per product and the parameter kinds', () => {
    expect(md.match(/^## Product /gm)).toHaveLength(result.products.length);
    expect(md).toMatch(/\| rate \(counter\) \|/);
    expect(md).toMatch(/## Parameters/);
  });
});

describe('lags and significance in the reports', () => {
  const HOUR = 3_600_000;
  const delayed = generateMachineData({ seed: 43, products: 1, workorderIntervalMs: HOUR / 2, correlationMs: 1.5 * HOUR, delayMs: 3 * HOUR, durationMs: 21 * 86_400_000 });
  const result = rankCorrelations(delayed.metrics, delayed.workorders);
  const top = result.products[0]!.ranking[0]!;

  it('shows the lag in the tables of report.md and report.html, and in report.json', () => {
    expect(top.lagSeconds).toBeGreaterThan(2 * 3600);
    const md = renderReportMarkdown(result);
    expect(md).toMatch(/^\| # \| Parameter \| Measure \| Lag \| r \| Spearman \| n \| p \| 95% CI \| Significant \|$/m);
    expect(md).toContain(`| 1 | ${top.parameter} | level | ${formatLag(top.lagSeconds)} | ${formatR(top.r)} |`);
    expect(md).toContain(`${top.parameter}: r ${formatR(top.r)} ${formatCi(top.ci)}, lag ${formatLag(top.lagSeconds)} |`);
    const html = renderReportHtml(result);
    expect(html).toContain(`<th class="num">Lag</th>`);
    expect(html).toContain(`<td class="num">${formatLag(top.lagSeconds)}</td><td class="num">${formatR(top.r)}</td>`);
    const json = JSON.parse(renderReportJson(result)) as { products: { ranking: { lagSeconds: number }[] }[] };
    expect(json.products[0]!.ranking[0]!.lagSeconds).toBe(top.lagSeconds);
  });

  it('draws each top parameter\'s lag profile, r at every lag searched, the chosen lag marked', () => {
    const html = renderReportHtml(result);
    const profiles = html.match(/<polyline class="profile" points="[^"]*"/g)!;
    expect(profiles).toHaveLength(3);
    expect(profiles[0]!.split(' ').length - 2).toBe(top.lagProfile.r.length); // one point per lag
    expect(html.match(/<circle class="chosen"/g)).toHaveLength(3);
    expect(html).toContain(escapeHtml(`lag ${formatLag(top.lagSeconds)}: r ${formatR(top.r)} (strongest)`));
    expect(renderReportHtml(rankCorrelations(delayed.metrics, delayed.workorders, { maxLagSeconds: 0 }))).not.toContain('<polyline');
  });

  it('says so when nothing is significant', () => {
    const unrelated = generateMachineData({ seed: 61, parameters: 25, counters: 0, drivers: 0, products: 1, durationMs: 14 * 86_400_000 });
    const none = rankCorrelations(unrelated.metrics, unrelated.workorders);
    expect(none.products[0]!.ranking.some((e) => e.significant)).toBe(false);
    expect(renderReportMarkdown(none)).toMatch(/\*\*Nothing is significant: no parameter's p-value \(corrected for the \d+ lags searched\) stays below 0\.05/);
    expect(renderReportHtml(none)).toMatch(/<p class="note">Nothing is significant/);
    expect(renderReportMarkdown(none)).toMatch(/\(not significant\) \|/);
    expect(renderReportMarkdown(result)).not.toMatch(/Nothing is significant/);
  });

  it('formats lags', () => {
    expect([0, 0.2, 45, 1800, 1806, 3600, 10_800, 5400 * 3].map(formatLag)).toEqual(['0', '0', '45 s', '30 min', '30.1 min', '60 min', '3 h', '4.5 h']);
  });
});

describe('chart helpers', () => {
  it('picks round ticks', () => {
    expect(niceTicks(0, 1, 5)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(-0.013, 0.042, 10)).toEqual([-0.01, 0, 0.01, 0.02, 0.03, 0.04]);
    expect(niceTicks(-0.013, 0.042, 5)).toEqual([0, 0.02, 0.04]);
    expect(niceTicks(2, 2)).toEqual([2]);
  });
});
