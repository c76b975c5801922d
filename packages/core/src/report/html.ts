/**
 * `report.html`: one self-contained file (inline CSS and SVG, no scripts, no network; a
 * Content-Security-Policy forbids anything else). Summary table first, then per product a bar chart
 * of every ranked parameter's r with its confidence interval, scatter plots of the top three and,
 * when lags were searched, their lag profiles (r against the lag).
 */
import type { CorrelationResult, ParameterSeries, ProductCorrelation, RankedParameter } from '../analytics/types.js';
import { escapeHtml } from './escape.js';
import { describeMethod, formatCi, formatLag, formatP, formatR, idText } from './format.js';
import { SUMMARY_TOP, measureText, nothingSignificantNote, summaryRows } from './summary.js';
import { correlationBarChart } from './svg/bar-chart.js';
import { lagProfileChart } from './svg/lag-profile.js';
import { scatterPlot } from './svg/scatter.js';

const STYLE = `
body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#1d2430;background:#fff}
main{max-width:1100px;margin:0 auto;padding:24px}
h1{font-size:24px;margin:0 0 8px}h2{font-size:19px;margin:32px 0 8px;border-bottom:1px solid #dde2ea;padding-bottom:4px}
table{border-collapse:collapse;margin:8px 0 16px}th,td{padding:4px 10px;border-bottom:1px solid #e6e9ef;text-align:left;vertical-align:top}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.method{color:#4a5567;max-width:80ch}.note{color:#8a4b00}
figure{margin:8px 0}figcaption{color:#4a5567;font-size:12px}.scatters figure{max-width:340px}
.scatters{display:flex;flex-wrap:wrap;gap:16px}
svg{font:11px system-ui,sans-serif;overflow:visible}
svg .axis,svg .tick{stroke:#5b6575}svg .zero{stroke:#9aa3b2;stroke-dasharray:3 3}
svg .pos{fill:#3b73c4}svg .neg{fill:#d9822b}svg .whisker{stroke:#1d2430;stroke-width:1.2}
svg .dots circle{fill:#3b73c4;fill-opacity:.45}svg .axis-title{font-weight:600}
svg .profile{fill:none;stroke:#3b73c4;stroke-width:1.5}svg .lags .lag{fill:#3b73c4}svg .lags .chosen{fill:#d9822b}
.profiles{display:flex;flex-wrap:wrap;gap:16px}.profiles figure{max-width:260px}.weak{color:#8a94a6}
`;

const id = (value: Parameters<typeof idText>[0]): string => escapeHtml(idText(value));
const cell = (content: string | number, numeric = false): string => `<td${numeric ? ' class="num"' : ''}>${content}</td>`;

function topCell(entry: RankedParameter | undefined): string {
  if (!entry) return '';
  const text = `<b>${id(entry.parameter)}</b> r ${formatR(entry.r)} <small>${formatCi(entry.ci)}</small>, lag ${escapeHtml(formatLag(entry.lagSeconds))}`;
  return entry.significant ? text : `<span class="weak">${text} (not significant)</span>`;
}

function summaryTable(result: CorrelationResult, level: string): string {
  const ordinals = ['1st', '2nd', '3rd'].slice(0, SUMMARY_TOP);
  const head = `<tr><th>Product</th><th class="num">Intervals</th>${ordinals.map((o) => `<th>${o} (r, ${level} CI, lag)</th>`).join('')}</tr>`;
  const rows = summaryRows(result).map((s, i) => {
    const cells =
      s.note === undefined
        ? ordinals.map((_, k) => cell(topCell(s.top[k]))).join('')
        : `<td colspan="${ordinals.length}" class="note">${escapeHtml(s.note)}</td>`;
    return `<tr><td><a href="#product-${i}">${id(s.product.product)}</a></td>${cell(s.product.intervals, true)}${cells}</tr>`;
  });
  return `<table class="summary"><thead>${head}</thead><tbody>${rows.join('')}</tbody></table>`;
}

function rankingTable(product: ProductCorrelation, level: string): string {
  const head = '<tr><th class="num">#</th><th>Parameter</th><th>Measure</th><th class="num">Lag</th><th class="num">r</th><th class="num">Spearman</th>' +
    `<th class="num">n</th><th class="num">p</th><th>${level} CI</th><th>Significant</th></tr>`;
  const rows = product.ranking.map(
    (e, i) =>
      `<tr>${cell(i + 1, true)}${cell(id(e.parameter))}${cell(measureText(e))}${cell(escapeHtml(formatLag(e.lagSeconds)), true)}` +
      `${cell(formatR(e.r), true)}${cell(formatR(e.spearman), true)}` +
      `${cell(e.n, true)}${cell(formatP(e.p), true)}${cell(formatCi(e.ci))}${cell(e.significant ? 'yes' : 'no')}</tr>`,
  );
  return `<table class="ranking"><thead>${head}</thead><tbody>${rows.join('')}</tbody></table>`;
}

function scatterFigure(series: ParameterSeries, entry: RankedParameter | undefined): string {
  const name = idText(series.parameter);
  const lag = series.lagSeconds > 0 ? `, ${formatLag(series.lagSeconds)} earlier` : '';
  const xTitle = series.measure === 'rate' ? `${name} (rate per s${lag})` : `${name} (level${lag})`;
  const title = `Parameter ${name} against output per second${entry ? ` (r ${formatR(entry.r)})` : ''}`;
  const svg = scatterPlot(series.x, series.y, { title, x: xTitle, y: 'output per s' });
  return `<figure>${svg}<figcaption>${escapeHtml(title)}; one dot per interval</figcaption></figure>`;
}

function lagProfileFigure(entry: RankedParameter): string {
  const name = idText(entry.parameter);
  const title = `Parameter ${name}: r against the lag (strongest at ${formatLag(entry.lagSeconds)})`;
  const svg = lagProfileChart(entry.lagProfile.lagSeconds, entry.lagProfile.r, entry.lagSeconds, title);
  return `<figure>${svg}<figcaption>${escapeHtml(title)}; its level read over each interval shifted back by the lag</figcaption></figure>`;
}

function productSection(product: ProductCorrelation, index: number, level: string, detrended: boolean, significanceLevel: number): string {
  const parts = [
    `<section id="product-${index}"><h2>Product ${id(product.product)}</h2>`,
    `<p>${product.intervals} usable intervals from ${product.readings} readings ` +
      `(${product.skipped.gaps} skipped as gaps, ${product.skipped.resets} as counter resets).</p>`,
  ];
  if (product.status !== 'ok') parts.push(`<p class="note">Not analysed: ${escapeHtml(product.reason ?? product.status)}</p>`);
  const note = nothingSignificantNote(product, significanceLevel);
  if (note !== undefined) parts.push(`<p class="note">${escapeHtml(note)}</p>`);
  if (product.ranking.length > 0) {
    const bars = product.ranking.map((e) => ({ label: `${idText(e.parameter)}${e.measure === 'rate' ? ' (rate)' : ''}`, value: e.r, low: e.ci[0], high: e.ci[1] }));
    const title = `Product ${idText(product.product)}: Pearson r of every ranked parameter with its ${level} confidence interval`;
    parts.push(`<figure>${correlationBarChart(bars, title, 'Pearson r')}<figcaption>${escapeHtml(title)}</figcaption></figure>`);
    const byParameter = new Map(product.ranking.map((e) => [e.parameter, e]));
    const scatters = product.series.slice(0, SUMMARY_TOP).map((s) => scatterFigure(s, byParameter.get(s.parameter)));
    if (scatters.length > 0) {
      parts.push(`<div class="scatters">${scatters.join('')}</div>`);
      if (detrended) parts.push('<p class="method">Dots show measured values (the parameter at its lag); r was computed after removing each side\'s linear time trend.</p>');
    }
    if (product.lagGridSeconds.length > 1) {
      const profiles = product.ranking.slice(0, SUMMARY_TOP).filter((e) => e.lagProfile.r.length > 0).map(lagProfileFigure);
      if (profiles.length > 0) parts.push(`<div class="profiles">${profiles.join('')}</div>`);
    }
    parts.push(rankingTable(product, level));
  }
  if (product.excluded.length > 0) {
    const items = product.excluded.map((e) => `<li>${id(e.parameter)} (${escapeHtml(e.status)}): ${escapeHtml(e.reason)}</li>`);
    parts.push(`<p>Not ranked:</p><ul>${items.join('')}</ul>`);
  }
  parts.push('</section>');
  return parts.join('');
}

function parameterTable(result: CorrelationResult): string {
  const rows = result.parameters.map((p) => {
    const kind = `${p.kind === 'counter' ? 'counter (rate)' : 'gauge (level)'}${p.kindFrom === 'option' ? ', by option' : ''}`;
    return `<tr>${cell(id(p.parameter))}${cell(kind)}${cell(p.samples, true)}${cell(p.duplicates, true)}${cell(p.invalid, true)}${cell(p.resets, true)}</tr>`;
  });
  const head = '<tr><th>Parameter</th><th>Treated as</th><th class="num">Samples</th><th class="num">Duplicates dropped</th><th class="num">Invalid</th><th class="num">Counter resets</th></tr>';
  return `<table><thead>${head}</thead><tbody>${rows.join('')}</tbody></table>`;
}

/** Renders the analysis as one self-contained HTML page. Every text from the data is escaped. */
export function renderReportHtml(result: CorrelationResult): string {
  const level = `${Math.round(result.options.confidenceLevel * 100)}%`;
  const detrended = result.options.detrend === 'linear';
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>Correlation report</title><style>${STYLE}</style></head><body><main>`,
    '<h1>Correlation report</h1>',
    `<p class="method">${escapeHtml(describeMethod(result.options))}</p>`,
    '<h2>Summary</h2>',
    summaryTable(result, level),
    ...result.products.map((p, i) => productSection(p, i, level, detrended, result.options.significanceLevel)),
    '<h2>Parameters</h2>',
    parameterTable(result),
    '</main></body></html>',
    '',
  ].join('\n');
}
