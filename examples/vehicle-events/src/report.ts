/**
 * The report: the answers as JSON (the `--json` shape), as lines for a terminal, and as one
 * self-contained HTML page with an inline SVG bar chart (no script, no network). Renderers are
 * pure; `writeReport` reads the warehouse and writes the files.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Store } from '@sluice/core';
import { readAnswers, type Answers } from './answers.js';
import { EARTH_RADIUS_KM } from './geo.js';

/** The `--json` text: `{"operatingPeriods":[{id,start,finish,vehicles,averageDistanceKm}],"overallAverageKm":x}`. */
export function renderJson(answers: Answers): string {
  const operatingPeriods = answers.operatingPeriods.map(({ id, start, finish, vehicles, averageDistanceKm }) => ({ id, start, finish, vehicles, averageDistanceKm }));
  return JSON.stringify({ operatingPeriods, overallAverageKm: answers.overallAverageKm });
}

const km = (value: number | null): string => (value === null ? '–' : value.toFixed(3));

/** Lines for a terminal: one per period, then the overall mean. */
export function renderText(answers: Answers): string[] {
  const lines = answers.operatingPeriods.map((p) => `${p.id}  ${p.start} → ${p.finish}  ${String(p.vehicles).padStart(4)} vehicles  ${km(p.averageDistanceKm).padStart(10)} km`);
  lines.push(`overall average: ${km(answers.overallAverageKm)} km over ${pairsOf(answers)} (period, vehicle) pairs in ${answers.operatingPeriods.length} operating periods`);
  return lines;
}

const pairsOf = (answers: Answers): number => answers.operatingPeriods.reduce((sum, p) => sum + (p.averageDistanceKm === null ? 0 : p.vehicles), 0);

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A step of 1, 2 or 5 × 10^k giving about `count` ticks from 0 to `max`. */
function ticksUpTo(max: number, count = 5): number[] {
  if (!(max > 0)) return [0];
  const raw = max / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw)!;
  const ticks: number[] = [];
  for (let t = 0; t <= max + step * 1e-9; t += step) ticks.push(Number(t.toPrecision(12)));
  if (ticks[ticks.length - 1]! < max) ticks.push(Number((ticks[ticks.length - 1]! + step).toPrecision(12)));
  return ticks;
}

/** An SVG bar chart: one bar per operating period with vehicles, in start order, height its average. */
export function renderChart(answers: Answers): string {
  const bars = answers.operatingPeriods.filter((p) => p.averageDistanceKm !== null);
  const width = 960;
  const height = 360;
  const margin = { left: 64, right: 16, top: 24, bottom: 56 };
  const plotW = width - margin.left - margin.right;
  const plotH = height - margin.top - margin.bottom;
  const ticks = ticksUpTo(Math.max(0, ...bars.map((p) => p.averageDistanceKm!)));
  const top = ticks[ticks.length - 1]! || 1;
  const y = (v: number) => margin.top + plotH - (v / top) * plotH;
  const slot = plotW / Math.max(1, bars.length);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-labelledby="chart-title">`,
    '<title id="chart-title">Average distance per operating period (km)</title>',
  ];
  for (const t of ticks) {
    parts.push(`<line x1="${margin.left}" x2="${width - margin.right}" y1="${y(t).toFixed(1)}" y2="${y(t).toFixed(1)}" stroke="#ddd"/>`);
    parts.push(`<text x="${margin.left - 6}" y="${(y(t) + 4).toFixed(1)}" text-anchor="end" font-size="11">${t}</text>`);
  }
  bars.forEach((p, i) => {
    const x = margin.left + i * slot + slot * 0.1;
    const top = y(p.averageDistanceKm!);
    const label = `${p.id}: ${p.start} → ${p.finish}, ${p.vehicles} vehicles, ${km(p.averageDistanceKm)} km`;
    parts.push(
      `<rect class="bar" x="${x.toFixed(1)}" y="${top.toFixed(1)}" width="${Math.max(1, slot * 0.8).toFixed(1)}" height="${(margin.top + plotH - top).toFixed(1)}" fill="#3b7dd8"><title>${escapeHtml(label)}</title></rect>`,
    );
  });
  const axisY = margin.top + plotH;
  parts.push(`<line x1="${margin.left}" x2="${width - margin.right}" y1="${axisY}" y2="${axisY}" stroke="#333"/>`);
  parts.push(`<line x1="${margin.left}" x2="${margin.left}" y1="${margin.top}" y2="${axisY}" stroke="#333"/>`);
  if (bars.length > 0) {
    parts.push(`<text x="${margin.left}" y="${axisY + 18}" font-size="11">${escapeHtml(bars[0]!.start.slice(0, 16))}</text>`);
    parts.push(`<text x="${width - margin.right}" y="${axisY + 18}" font-size="11" text-anchor="end">${escapeHtml(bars[bars.length - 1]!.start.slice(0, 16))}</text>`);
  }
  parts.push(`<text x="${margin.left + plotW / 2}" y="${height - 12}" text-anchor="middle" font-size="12">operating periods by start (UTC)</text>`);
  parts.push(`<text transform="translate(16 ${margin.top + plotH / 2}) rotate(-90)" text-anchor="middle" font-size="12">average distance (km)</text>`);
  parts.push('</svg>');
  return parts.join('\n');
}

/** The self-contained HTML page. */
export function renderHtml(answers: Answers, generatedAt = new Date()): string {
  const periods = answers.operatingPeriods;
  const rows = periods
    .map((p) => `<tr><td>${escapeHtml(p.id)}</td><td>${escapeHtml(p.start)}</td><td>${escapeHtml(p.finish)}</td><td class="n">${p.vehicles}</td><td class="n">${km(p.averageDistanceKm)}</td></tr>`)
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Vehicle events: distance per operating period</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
svg.chart { display: block; max-width: 100%; height: auto; }
</style>
</head>
<body>
<h1>Vehicle events: distance per operating period</h1>
<table class="summary">
<thead><tr><th>operating periods</th><th>with vehicles</th><th>(period, vehicle) pairs</th><th>overall average (km)</th></tr></thead>
<tbody><tr><td class="n">${periods.length}</td><td class="n">${periods.filter((p) => p.averageDistanceKm !== null).length}</td><td class="n">${pairsOf(answers)}</td><td class="n">${km(answers.overallAverageKm)}</td></tr></tbody>
</table>
${renderChart(answers)}
<h2>Operating periods</h2>
<table class="periods">
<thead><tr><th>id</th><th>start</th><th>finish</th><th>vehicles</th><th>average distance (km)</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
<p>An operating period covers the vehicles of its organisation, with the bounds of its latest create or update by event time; deleted periods are left out.
A vehicle's distance in a period is the sum of haversine distances (Earth radius ${EARTH_RADIUS_KM} km) between its consecutive positions by <code>location.at</code> inside [start, finish];
its vehicles are those with at least two positions inside. Generated ${escapeHtml(generatedAt.toISOString())}.</p>
</body>
</html>
`;
}

/** Where `writeReport` put its files. */
export interface ReportFiles {
  html: string;
  json: string;
}

/** Reads the answers and writes `report.html` and `report.json` into `outDir`. */
export async function writeReport(store: Store, outDir: string): Promise<{ answers: Answers; files: ReportFiles }> {
  const answers = await readAnswers(store);
  await mkdir(outDir, { recursive: true });
  const files = { html: join(outDir, 'report.html'), json: join(outDir, 'report.json') };
  await writeFile(files.html, renderHtml(answers));
  await writeFile(files.json, renderJson(answers) + '\n');
  return { answers, files };
}
