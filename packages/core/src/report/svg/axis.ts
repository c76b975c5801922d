/** Axes and the SVG frame of the inline charts: a line, ticks with labels, an optional title. */
import { escapeHtml } from '../escape.js';
import { formatNumber } from '../format.js';
import { niceTicks, type LinearScale } from './scale.js';

/**
 * An axis with ticks and labels: `bottom` runs along pixel row `at` with labels below, `left` along
 * pixel column `at` with labels to its left; the title goes under, or rotated beside.
 */
export function axis(side: 'bottom' | 'left', scale: LinearScale, at: number, title?: string, ticks = niceTicks(...scale.domain, 5)): string {
  const [from, to] = scale.range;
  const horizontal = side === 'bottom';
  const point = (along: number, across: number): [number, number] => (horizontal ? [along, across] : [across, along]);
  const line = (a: [number, number], b: [number, number], cls: string) => `<line class="${cls}" x1="${a[0]}" y1="${a[1]}" x2="${b[0]}" y2="${b[1]}"/>`;
  const parts = [line(point(from, at), point(to, at), 'axis')];
  for (const t of ticks) {
    const p = round(scale(t));
    parts.push(line(point(p, at), point(p, horizontal ? at + 4 : at - 4), 'tick'));
    const [x, y] = horizontal ? [p, at + 16] : [at - 6, p + 4];
    parts.push(`<text x="${x}" y="${y}" text-anchor="${horizontal ? 'middle' : 'end'}">${escapeHtml(formatNumber(t))}</text>`);
  }
  if (title) {
    const mid = round((from + to) / 2);
    const [x, y] = horizontal ? [mid, at + 32] : [12, mid];
    const rotate = horizontal ? '' : ` transform="rotate(-90 ${x} ${y})"`;
    parts.push(`<text class="axis-title" x="${x}" y="${y}" text-anchor="middle"${rotate}>${escapeHtml(title)}</text>`);
  }
  return parts.join('');
}

/** A pixel coordinate with at most one decimal (smaller files, same picture). */
export const round = (v: number): number => Math.round(v * 10) / 10;

/** Opening tag of a standalone SVG with an accessible title. */
export function svgOpen(width: number, height: number, title: string): string {
  const t = escapeHtml(title);
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${t}"><title>${t}</title>`;
}
