/** Horizontal bar chart of correlations in [−1, 1] with confidence-interval whiskers, as inline SVG. */
import { escapeHtml } from '../escape.js';
import { formatR } from '../format.js';
import { axis, round, svgOpen } from './axis.js';
import { linearScale } from './scale.js';

/** One bar: a label, a correlation and its interval. */
export interface CorrelationBar {
  label: string;
  value: number;
  low: number;
  high: number;
}

/** Pixel layout: label column, plot, value column; row height; space above and below the rows. */
const LAYOUT = { label: 150, plot: 420, value: 64, row: 20, top: 8, bottom: 44 } as const;

/** Shortens a label for display (the full text stays in the row's tooltip). */
const shorten = (text: string, max = 22): string => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/** One SVG: a row per bar, strongest first as given; positive bars blue, negative orange. */
export function correlationBarChart(bars: readonly CorrelationBar[], title: string, axisTitle: string): string {
  const { label: LABEL_WIDTH, plot: PLOT_WIDTH, row: ROW, top: TOP } = LAYOUT;
  const width = LABEL_WIDTH + PLOT_WIDTH + LAYOUT.value;
  const height = TOP + bars.length * ROW + LAYOUT.bottom;
  const x = linearScale([-1, 1], [LABEL_WIDTH, LABEL_WIDTH + PLOT_WIDTH]);
  const zero = round(x(0));
  const rows = bars.map((bar, i) => {
    const cy = TOP + i * ROW + ROW / 2;
    const from = round(x(Math.min(0, bar.value)));
    const to = round(x(Math.max(0, bar.value)));
    const lo = round(x(bar.low));
    const hi = round(x(bar.high));
    const label = escapeHtml(bar.label);
    return (
      `<g class="row"><title>${label}: r ${escapeHtml(formatR(bar.value))}, CI [${escapeHtml(formatR(bar.low))}, ${escapeHtml(formatR(bar.high))}]</title>` +
      `<text x="${LABEL_WIDTH - 8}" y="${cy + 4}" text-anchor="end">${escapeHtml(shorten(bar.label))}</text>` +
      `<rect class="${bar.value < 0 ? 'neg' : 'pos'}" x="${from}" y="${cy - 6}" width="${round(to - from)}" height="12"/>` +
      `<line class="whisker" x1="${lo}" y1="${cy}" x2="${hi}" y2="${cy}"/>` +
      `<line class="whisker" x1="${lo}" y1="${cy - 4}" x2="${lo}" y2="${cy + 4}"/>` +
      `<line class="whisker" x1="${hi}" y1="${cy - 4}" x2="${hi}" y2="${cy + 4}"/>` +
      `<text x="${LABEL_WIDTH + PLOT_WIDTH + 6}" y="${cy + 4}">${escapeHtml(formatR(bar.value))}</text></g>`
    );
  });
  const axisY = TOP + bars.length * ROW + 4;
  return (
    svgOpen(width, height, title) +
    `<line class="zero" x1="${zero}" y1="${TOP}" x2="${zero}" y2="${axisY}"/>` +
    rows.join('') +
    axis('bottom', x, axisY, axisTitle, [-1, -0.5, 0, 0.5, 1]) +
    '</svg>'
  );
}
