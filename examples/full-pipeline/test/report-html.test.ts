/**
 * `report.html` in a real browser (Debian's Chromium driven by playwright-core): nothing errors, it
 * loads nothing but itself, the summary table comes first, and the SVG charts have drawn.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createMemoryBroker } from '@sluice/core';
import { createSqliteStore } from '@sluice/store-sqlite';
import { chromiumArgs, chromiumExecutable, requireChromium, watchPage } from '@sluice/core/testkit';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateFiles } from '../src/generate.js';
import { runAll } from '../src/run-all.js';
import { defaultNames } from '../src/tables.js';
import { tempDir } from './support/data.js';

const haveChromium = requireChromium();

/** The little of the browser's DOM the checks use (the project compiles without the DOM library). */
interface BrowserElement {
  className: string;
  compareDocumentPosition(other: BrowserElement): number;
  getBoundingClientRect(): { width: number; height: number };
  querySelectorAll(selector: string): { length: number };
}
interface BrowserDocument {
  querySelector(selector: string): BrowserElement | null;
  querySelectorAll(selector: string): ArrayLike<BrowserElement> & Iterable<BrowserElement>;
}

/** Where the test leaves a screenshot of the report, to look at. */
const screenshot = join(process.env.TMPDIR ?? '/tmp', 'sluice-full-pipeline-report.png');

describe.skipIf(!haveChromium)('report.html in headless Chromium', () => {
  let remove: () => Promise<void>;
  let browser: Browser;
  let reportUrl: string;
  let products: number;

  beforeAll(async () => {
    let dir: string;
    ({ dir, remove } = await tempDir('report-html'));
    const files = await generateFiles(join(dir, 'data'), { parameters: 10, products: 2, counters: 2, durationMs: 10 * 86_400_000, ids: 'string', seed: 3 });
    const store = createSqliteStore({ filename: join(dir, 'sluice.db') });
    const broker = createMemoryBroker();
    try {
      const run = await runAll({ broker, store, names: defaultNames, files, out: join(dir, 'out'), progress: false });
      reportUrl = pathToFileURL(run.files.html).href;
      products = run.result.products.length;
    } finally {
      await broker.close();
      await store.close();
    }
    browser = await chromium.launch({ executablePath: chromiumExecutable, args: [...chromiumArgs] });
  });

  afterAll(async () => {
    await browser?.close();
    await remove?.();
  });

  it('renders the summary first and every chart, with no error and no request beyond the file', async () => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const { problems, requests } = watchPage(page);
    await page.goto(reportUrl, { waitUntil: 'load' });

    expect(problems).toEqual([]);
    expect(requests).toEqual([reportUrl]);

    // The summary table is the first table and comes before any chart.
    const order = await page.evaluate(() => {
      const { document } = globalThis as unknown as { document: BrowserDocument };
      const firstTable = document.querySelector('table');
      const firstSvg = document.querySelector('svg');
      return {
        firstTableClass: firstTable?.className,
        summaryRows: document.querySelectorAll('table.summary tbody tr').length,
        beforeCharts: !!firstTable && !!firstSvg && !!(firstTable.compareDocumentPosition(firstSvg) & 4), // DOCUMENT_POSITION_FOLLOWING
      };
    });
    expect(order).toEqual({ firstTableClass: 'summary', summaryRows: products, beforeCharts: true });

    // Per product one bar chart of the ranking, three scatter plots and three lag profiles, all drawn with a real size.
    const charts = await page.evaluate(() => {
      const { document } = globalThis as unknown as { document: BrowserDocument };
      return [...document.querySelectorAll('svg')].map((svg) => {
        const box = svg.getBoundingClientRect();
        return { width: box.width, height: box.height, rects: svg.querySelectorAll('rect').length, circles: svg.querySelectorAll('circle').length };
      });
    });
    expect(charts).toHaveLength(products * 7);
    for (const chart of charts) {
      expect(chart.width).toBeGreaterThan(100);
      expect(chart.height).toBeGreaterThan(100);
    }
    expect(charts.filter((c) => c.rects >= 10)).toHaveLength(products); // bars: one per ranked parameter
    expect(charts.filter((c) => c.circles >= 20)).toHaveLength(products * 3); // scatters: one dot per interval

    await page.screenshot({ path: screenshot, fullPage: true });
    await page.close();
  });
});
