/** `report.md`: the summary table first, then per product its full ranking and what was left out. */
import type { CorrelationResult, ProductCorrelation, RankedParameter } from '../analytics/types.js';
import { escapeMarkdown } from './escape.js';
import { describeMethod, formatCi, formatLag, formatP, formatR, idText } from './format.js';
import { SUMMARY_TOP, measureText, nothingSignificantNote, summaryRows } from './summary.js';

const id = (value: Parameters<typeof idText>[0]): string => escapeMarkdown(idText(value));
const row = (cells: readonly (string | number)[]): string => `| ${cells.join(' | ')} |`;

function topCell(entry: RankedParameter | undefined): string {
  if (!entry) return '';
  return `${id(entry.parameter)}: r ${formatR(entry.r)} ${formatCi(entry.ci)}, lag ${formatLag(entry.lagSeconds)}${entry.significant ? '' : ' (not significant)'}`;
}

function productSection(product: ProductCorrelation, level: string, significanceLevel: number): string[] {
  const lines = [
    `## Product ${id(product.product)}`,
    '',
    `${product.intervals} usable intervals from ${product.readings} readings ` +
      `(${product.skipped.gaps} skipped as gaps, ${product.skipped.resets} as counter resets).`,
    '',
  ];
  if (product.status !== 'ok') lines.push(`**Not analysed:** ${escapeMarkdown(product.reason ?? product.status)}`, '');
  const note = nothingSignificantNote(product, significanceLevel);
  if (note !== undefined) lines.push(`**${note}**`, '');
  if (product.ranking.length > 0) {
    lines.push(row(['#', 'Parameter', 'Measure', 'Lag', 'r', 'Spearman', 'n', 'p', `${level} CI`, 'Significant']));
    lines.push(row(['---:', '---', '---', '---:', '---:', '---:', '---:', '---:', '---', '---']));
    product.ranking.forEach((e, i) => {
      lines.push(
        row([i + 1, id(e.parameter), measureText(e), formatLag(e.lagSeconds), formatR(e.r), formatR(e.spearman), e.n, formatP(e.p), formatCi(e.ci), e.significant ? 'yes' : 'no']),
      );
    });
    lines.push('');
  }
  if (product.excluded.length > 0) {
    lines.push('Not ranked:', '');
    for (const e of product.excluded) lines.push(`- ${id(e.parameter)} (${e.status}): ${escapeMarkdown(e.reason)}`);
    lines.push('');
  }
  return lines;
}

/** Renders the analysis as Markdown. Every id and reason from the data is escaped. */
export function renderReportMarkdown(result: CorrelationResult): string {
  const level = `${Math.round(result.options.confidenceLevel * 100)}%`;
  const ordinals = ['1st', '2nd', '3rd'].slice(0, SUMMARY_TOP);
  const lines = ['# Correlation report', '', describeMethod(result.options), '', '## Summary', ''];
  lines.push(row(['Product', 'Intervals', ...ordinals.map((o) => `${o} (r, ${level} CI, lag)`)]));
  lines.push(row(['---', '---:', ...ordinals.map(() => '---')]));
  for (const s of summaryRows(result)) {
    const cells = s.note === undefined ? ordinals.map((_, i) => topCell(s.top[i])) : [escapeMarkdown(s.note), ...ordinals.slice(1).map(() => '')];
    lines.push(row([id(s.product.product), s.product.intervals, ...cells]));
  }
  lines.push('');
  for (const product of result.products) lines.push(...productSection(product, level, result.options.significanceLevel));
  lines.push('## Parameters', '');
  lines.push(row(['Parameter', 'Treated as', 'Samples', 'Duplicates dropped', 'Invalid', 'Counter resets']));
  lines.push(row(['---', '---', '---:', '---:', '---:', '---:']));
  for (const p of result.parameters) {
    const kind = p.kind === 'counter' ? 'counter (rate)' : 'gauge (level)';
    lines.push(row([id(p.parameter), `${kind}${p.kindFrom === 'option' ? ', by option' : ''}`, p.samples, p.duplicates, p.invalid, p.resets]));
  }
  return `${lines.join('\n')}\n`;
}
