/** Scatter plot of aligned points as inline SVG. */
import { axis, round, svgOpen } from './axis.js';
import { extent, linearScale } from './scale.js';

/** Titles of a scatter plot. */
export interface ScatterLabels {
  title: string;
  x: string;
  y: string;
}

/** Pixel size and the margins around the plot area (room for axes and their titles). */
const SIZE = { width: 340, height: 270 } as const;
const MARGIN = { left: 64, right: 12, top: 12, bottom: 44 } as const;

/** Every k-th index so that at most `max` points remain (deterministic thinning of large series). */
function thinned(n: number, max: number): number[] {
  const step = Math.max(1, Math.ceil(n / max));
  const out: number[] = [];
  for (let i = 0; i < n; i += step) out.push(i);
  return out;
}

/** One SVG with a dot per (x[i], y[i]); at most `maxPoints` dots are drawn. */
export function scatterPlot(x: readonly number[], y: readonly number[], labels: ScatterLabels, maxPoints = 1500): string {
  const bottom = SIZE.height - MARGIN.bottom;
  const sx = linearScale(extent(x), [MARGIN.left, SIZE.width - MARGIN.right]);
  const sy = linearScale(extent(y), [bottom, MARGIN.top]);
  const dots = thinned(x.length, maxPoints).map((i) => `<circle cx="${round(sx(x[i]!))}" cy="${round(sy(y[i]!))}" r="2.2"/>`);
  return (
    svgOpen(SIZE.width, SIZE.height, labels.title) +
    axis('bottom', sx, bottom, labels.x) +
    axis('left', sy, MARGIN.left, labels.y) +
    `<g class="dots">${dots.join('')}</g>` +
    '</svg>'
  );
}
