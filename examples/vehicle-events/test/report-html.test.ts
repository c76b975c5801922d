/**
 * `report.html` in a real browser (Debian's Chromium driven by playwright-core): nothing errors, it
 * loads nothing but itself, the summary comes first, and the chart has drawn one bar per operating
 * period with vehicles, each as tall as its average.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromiumArgs, chromiumExecutable, requireChromium, watchPage } from '@sluice/core/testkit';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Answers } from '../src/answers.js';
import { writeReport } from '../src/report.js';
import { writeSmallLake } from './support/lake.js';
import { load, openWarehouse, tempDir, type TestWarehouse } from './support/warehouse.js';

const haveChromium = requireChromium();

/** The little of the browser's DOM the checks use (the project compiles without the DOM library). */
interface BrowserElement {
  className: string | { baseVal: string };
  textContent: string | null;
  compareDocumentPosition(other: BrowserElement): number;
  getBoundingClientRect(): { width: number; height: number };
  querySelectorAll(selector: string): ArrayLike<BrowserElement> & Iterable<BrowserElement>;
}
interface BrowserDocument {
  title: string;
  querySelector(selector: string): BrowserElement | null;
  querySelectorAll(selector: string): ArrayLike<BrowserElement> & Iterable<BrowserElement>;
}

const screenshot = join(process.env.TMPDIR ?? '/tmp', 'sluice-vehicle-events-report.png');

describe.skipIf(!haveChromium)('report.html in headless Chromium', () => {
  let lake: { dir: string; remove: () => Promise<void> };
  let warehouse: TestWarehouse;
  let browser: Browser;
  let reportUrl: string;
  let answers: Answers;

  beforeAll(async () => {
    lake = await tempDir('html');
    await writeSmallLake(lake.dir);
    warehouse = await openWarehouse('sqlite', 'html');
    await load(warehouse.store, lake.dir);
    const report = await writeReport(warehouse.store, join(lake.dir, 'report'));
    answers = report.answers;
    reportUrl = pathToFileURL(report.files.html).href;
    browser = await chromium.launch({ executablePath: chromiumExecutable, args: [...chromiumArgs] });
  });
  afterAll(async () => {
    await browser?.close();
    await warehouse?.drop();
    await lake?.remove();
  });

  it('renders the summary first and a bar per period, with no error and no request beyond the file', async () => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const { problems, requests } = watchPage(page);
    await page.goto(reportUrl, { waitUntil: 'load' });
    expect(problems).toEqual([]);
    expect(requests).toEqual([reportUrl]);

    const seen = await page.evaluate(() => {
      const { document } = globalThis as unknown as { document: BrowserDocument };
      const firstTable = document.querySelector('table');
      const svg = document.querySelector('svg.chart');
      const box = svg?.getBoundingClientRect();
      return {
        title: document.title,
        firstTableClass: firstTable?.className,
        summary: [...document.querySelectorAll('table.summary tbody td')].map((td) => td.textContent),
        summaryBeforeChart: !!firstTable && !!svg && !!(firstTable.compareDocumentPosition(svg) & 4),
        chart: box ? { width: box.width, height: box.height } : undefined,
        bars: [...document.querySelectorAll('svg.chart rect.bar')].map((bar) => ({ height: bar.getBoundingClientRect().height, title: bar.querySelectorAll('title')[0]?.textContent })),
        periodRows: document.querySelectorAll('table.periods tbody tr').length,
      };
    });
    const withVehicles = answers.operatingPeriods.filter((p) => p.averageDistanceKm !== null);
    expect(seen.title).toBe('Vehicle events: distance per operating period');
    expect(seen.firstTableClass).toBe('summary');
    expect(seen.summaryBeforeChart).toBe(true);
    expect(seen.summary).toEqual([String(answers.operatingPeriods.length), String(withVehicles.length), String(withVehicles.reduce((s, p) => s + p.vehicles, 0)), answers.overallAverageKm!.toFixed(3)]);
    expect(seen.chart!.width).toBeGreaterThan(300);
    expect(seen.chart!.height).toBeGreaterThan(100);
    expect(seen.periodRows).toBe(answers.operatingPeriods.length);
    expect(seen.bars).toHaveLength(withVehicles.length);
    // Bars are drawn to scale: height / average is the same for every bar.
    const ratios = seen.bars.map((bar, i) => bar.height / withVehicles[i]!.averageDistanceKm!);
    for (const ratio of ratios) expect(ratio).toBeCloseTo(ratios[0]!, 1);
    expect(seen.bars[0]!.title).toContain(withVehicles[0]!.id);

    await page.screenshot({ path: screenshot, fullPage: true });
    await page.close();
  });
});
