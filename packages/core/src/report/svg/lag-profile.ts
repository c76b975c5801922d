/** A small line chart of r against the lag searched (a lag profile), as inline SVG. */
import { escapeHtml } from '../escape.js';
import { formatLag, formatR } from '../format.js';
import { axis, round, svgOpen } from './axis.js';
import { linearScale, niceTicks } from './scale.js';

const SIZE = { width: 260, height: 170 } as const;
const MARGIN = { left: 52, right: 10, top: 10, bottom: 40 } as const;

/**
 * One SVG: r at each lag (a line with a dot per lag), the zero line dashed, the chosen lag as a
 * larger dot. Lags in seconds; the axis is in hours when the search reaches 2 h, else in minutes.
 */
export function lagProfileChart(lagSeconds: readonly number[], r: readonly number[], chosenLagSeconds: number, title: string): string {
  const maxLag = lagSeconds.length > 0 ? lagSeconds[lagSeconds.length - 1]! : 0;
  const [unit, unitName] = maxLag >= 7200 ? [3600, 'h'] : [60, 'min'];
  const lags = lagSeconds.map((s) => s / unit);
  const bottom = SIZE.height - MARGIN.bottom;
  const sx = linearScale([0, Math.max(lags[lags.length - 1] ?? 1, 1e-9)], [MARGIN.left, SIZE.width - MARGIN.right]);
  let lo = 0;
  let hi = 0;
  for (const v of r) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const pad = Math.max(0.05, (hi - lo) * 0.1);
  const sy = linearScale([Math.max(-1, lo - pad), Math.min(1, hi + pad)], [bottom, MARGIN.top]);
  const points = lags.map((x, i) => `${round(sx(x))},${round(sy(r[i]!))}`);
  const dots = lags.map((x, i) => {
    const chosen = lagSeconds[i] === chosenLagSeconds;
    const label = `lag ${formatLag(lagSeconds[i]!)}: r ${formatR(r[i]!)}${chosen ? ' (strongest)' : ''}`;
    return `<circle class="${chosen ? 'chosen' : 'lag'}" cx="${round(sx(x))}" cy="${round(sy(r[i]!))}" r="${chosen ? 4 : 2}"><title>${escapeHtml(label)}</title></circle>`;
  });
  const zero = round(sy(0));
  return (
    svgOpen(SIZE.width, SIZE.height, title) +
    `<line class="zero" x1="${MARGIN.left}" y1="${zero}" x2="${SIZE.width - MARGIN.right}" y2="${zero}"/>` +
    axis('bottom', sx, bottom, `lag (${unitName})`, niceTicks(...sx.domain, 6)) +
    axis('left', sy, MARGIN.left, 'r', niceTicks(...sy.domain, 4)) +
    `<polyline class="profile" points="${points.join(' ')}"/>` +
    `<g class="lags">${dots.join('')}</g>` +
    '</svg>'
  );
}
