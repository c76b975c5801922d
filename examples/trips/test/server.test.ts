/**
 * The server: POST /ingestions (streamed CSV body, or a path confined to the files directory), the
 * SSE stream of an ingestion in order and resumed with Last-Event-ID, GET /weekly-average, and the
 * live page in headless Chromium (updated through EventSource only).
 */
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromiumArgs, chromiumExecutable, requireChromium } from '@sluice/core/testkit';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createShutdown, type Shutdown } from '@sluice/runtime';
import type { Store } from '@sluice/core';
import { weeklyAverage } from '../src/queries.js';
import { buildTripsServer } from '../src/server/app.js';
import type { TripSettings } from '../src/trip.js';
import { freshSqlite, openModel, type FreshStore } from './support/stores.js';

const sample = readFileSync('/work/shared/data/trips.csv', 'utf8');
const withBadRows = `${sample.trimEnd()}\nPrague,POINT (1),POINT (1 2),2018-05-01 10:00:00,x\nPrague,POINT (1 2),POINT (1 2),2018-13-01 10:00:00,x\n`;

interface SseEvent {
  id: number;
  event: string;
  data: Record<string, unknown>;
}

/** Reads an event stream to its end. */
async function readEvents(url: string, headers: Record<string, string> = {}): Promise<SseEvent[]> {
  const response = await fetch(url, { headers: { accept: 'text/event-stream', ...headers } });
  expect(response.status).toBe(200);
  const text = await response.text();
  return text
    .split('\n\n')
    .filter((block) => block.includes('data: '))
    .map((block) => {
      const field = (name: string) => block.split('\n').find((line) => line.startsWith(`${name}: `))?.slice(name.length + 2);
      return { id: Number(field('id')), event: field('event') ?? '', data: JSON.parse(field('data')!) as Record<string, unknown> };
    });
}

describe('the trips server', () => {
  let target: FreshStore;
  let store: Store;
  let settings: TripSettings;
  let shutdown: Shutdown;
  let base: string;
  let filesDir: string;
  let close: () => Promise<void>;

  beforeAll(async () => {
    target = freshSqlite();
    ({ store, settings } = await openModel(target.url));
    const dir = target.url.slice('sqlite:'.length).replace(/trips\.db$/, '');
    filesDir = join(dir, 'files');
    mkdirSync(filesDir);
    writeFileSync(join(filesDir, 'trips.csv'), sample);
    writeFileSync(join(dir, 'secret.csv'), sample);
    symlinkSync(join(dir, 'secret.csv'), join(filesDir, 'link.csv'));
    shutdown = createShutdown({ signals: [] });
    const { app } = await buildTripsServer({ store, settings, shutdown, filesDir, spoolDir: join(dir, 'spool') });
    base = await app.listen({ host: '127.0.0.1', port: 0 });
    close = async () => {
      await app.close();
    };
  });
  afterAll(async () => {
    await close?.();
    await shutdown?.close();
    await target?.drop();
  });

  it('ingests a streamed CSV body and pushes started, progress, rejected and done in order; Last-Event-ID resumes', async () => {
    const response = await fetch(`${base}/ingestions`, { method: 'POST', headers: { 'content-type': 'text/csv', 'x-file-name': 'sample.csv' }, body: withBadRows });
    expect(response.status).toBe(202);
    const { id, events } = (await response.json()) as { id: string; events: string };
    expect(events).toBe(`/ingestions/${id}/events`);
    const all = await readEvents(`${base}${events}`);
    expect(all.map((e) => e.id)).toEqual(all.map((_, i) => i + 1));
    expect(all[0]).toMatchObject({ event: 'started', data: { type: 'started', id } });
    expect(all.at(-1)).toMatchObject({ event: 'done', data: { counts: { read: 102, persisted: 100, rejected: 2, duplicates: 0 } } });
    const kinds = all.map((e) => e.event);
    expect(kinds).toContain('progress');
    const progress = all.filter((e) => e.event === 'progress').at(-1)!.data;
    expect(progress).toMatchObject({ rows: 102, percent: 100 });
    const rejected = all.filter((e) => e.event === 'rejected').map((e) => e.data);
    expect(rejected.map((r) => r.line).sort()).toEqual([102, 103]);
    expect(rejected.map((r) => r.reason).join(' ')).toMatch(/not a WKT point.*|.*not a valid date/);
    // Resume after the first two events: exactly the rest.
    const rest = await readEvents(`${base}${events}`, { 'last-event-id': '2' });
    expect(rest).toEqual(all.slice(2));
    // Again: all duplicates.
    const again = (await (await fetch(`${base}/ingestions`, { method: 'POST', headers: { 'content-type': 'text/csv' }, body: sample })).json()) as { events: string };
    expect((await readEvents(`${base}${again.events}`)).at(-1)!.data).toMatchObject({ counts: { read: 100, persisted: 0, rejected: 0, duplicates: 100 } });
  }, 30_000);

  it('reads {"path"} only inside the files directory', async () => {
    const post = (path: unknown) => fetch(`${base}/ingestions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ path }) });
    expect((await post('../secret.csv')).status).toBe(403);
    expect((await post('/etc/passwd')).status).toBe(403);
    expect((await post('link.csv')).status).toBe(403);
    expect((await post('missing.csv')).status).toBe(404);
    expect((await post(42)).status).toBe(400);
    const ok = await post('trips.csv');
    expect(ok.status).toBe(202);
    const { events } = (await ok.json()) as { events: string };
    expect((await readEvents(`${base}${events}`)).at(-1)!.event).toBe('done');
    expect((await fetch(`${base}/ingestions/nope/events`)).status).toBe(404);
  });

  it('answers GET /weekly-average by region and box like the command', async () => {
    const byRegion = await (await fetch(`${base}/weekly-average?region=turin`)).json();
    expect(byRegion).toEqual(await weeklyAverage(store, settings, { region: 'Turin' }));
    const byBox = await (await fetch(`${base}/weekly-average?bbox=7,44,8,46&match=both`)).json();
    expect(byBox).toEqual(await weeklyAverage(store, settings, { bbox: { minLon: 7, minLat: 44, maxLon: 8, maxLat: 46 }, match: 'both' }));
    const bad = await fetch(`${base}/weekly-average?bbox=1,2`);
    expect(bad.status).toBe(400);
  });

  const haveChromium = requireChromium();

  it.skipIf(!haveChromium)('the page shows ingestions live in headless Chromium, through EventSource only', async () => {
    const browser = await chromium.launch({ executablePath: chromiumExecutable, args: [...chromiumArgs] });
    try {
      const page = await browser.newPage();
      const requests: string[] = [];
      page.on('request', (request) => requests.push(new URL(request.url()).pathname));
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      await page.goto(`${base}/`);
      await page.waitForSelector('#conn:text("live")');
      const before = await page.locator('tbody tr').count();
      expect(before).toBeGreaterThan(0); // the earlier ingestions, rendered in
      const response = await fetch(`${base}/ingestions`, { method: 'POST', headers: { 'content-type': 'text/csv', 'x-file-name': 'live.csv' }, body: withBadRows });
      const { id } = (await response.json()) as { id: string };
      const row = page.locator(`#ingestion-${id}`);
      await row.and(page.locator('[data-state="done"]')).waitFor({ timeout: 15_000 });
      const cells = await row.locator('td').allTextContents();
      expect(cells[0]).toContain('live.csv');
      expect(cells.slice(3, 7)).toEqual(['102', '0', '2', '100']);
      expect(await page.locator('tbody tr').count()).toBe(before + 1);
      expect(errors).toEqual([]);
      expect([...new Set(requests)].sort()).toEqual(['/', '/ingestions/events']);
      expect(requests.filter((r) => r === '/ingestions/events')).toHaveLength(1);
    } finally {
      await browser.close();
    }
  }, 30_000);
});
