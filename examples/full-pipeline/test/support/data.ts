/** Test data: temporary folders, reading the streaming API, and comparing a report with the planted truth. */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import type { MachineDataId, MachineDataTruth, ReportJson } from '@sluice/core';

/** A fresh temporary folder and a function that removes it. */
export async function tempDir(label: string): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), `sluice-fp-${label}-`));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** A temporary folder for the enclosing suite: made before its tests, removed after them. Call the result for its path. */
export function useTempDir(label: string): () => string {
  let made: { dir: string; remove: () => Promise<void> } | undefined;
  beforeAll(async () => {
    made = await tempDir(label);
  });
  afterAll(async () => {
    await made?.remove();
  });
  return () => made!.dir;
}

/** One Server-Sent Event as the client sees it. */
export interface SseEvent {
  id?: string;
  event?: string;
  data: unknown;
}

/** Parses an SSE body into its events (comments skipped, `data` parsed as JSON). */
export function parseSse(text: string): SseEvent[] {
  return text
    .split('\n\n')
    .map((block) => block.split('\n').filter((line) => line !== '' && !line.startsWith(':')))
    .filter((lines) => lines.length > 0)
    .map((lines) => {
      const event: SseEvent = { data: undefined };
      for (const line of lines) {
        const colon = line.indexOf(':');
        const field = line.slice(0, colon);
        const value = line.slice(colon + 1).replace(/^ /, '');
        if (field === 'id') event.id = value;
        else if (field === 'event') event.event = value;
        else if (field === 'data') event.data = JSON.parse(value) as unknown;
      }
      return event;
    });
}

/** GETs `url` and returns the status, content type and the NDJSON lines parsed. */
export async function getNdjson(url: string, headers: Record<string, string> = {}): Promise<{ status: number; type: string; lines: unknown[] }> {
  const response = await fetch(url, { headers });
  const text = await response.text();
  const lines = text.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as unknown);
  return { status: response.status, type: response.headers.get('content-type') ?? '', lines };
}

/** GETs `url` as an event stream and returns its events. */
export async function getSse(url: string, headers: Record<string, string> = {}): Promise<{ type: string; events: SseEvent[] }> {
  const response = await fetch(url, { headers: { accept: 'text/event-stream', ...headers } });
  return { type: response.headers.get('content-type') ?? '', events: parseSse(await response.text()) };
}

/** Reads and parses a JSON file. */
export async function readJson<T>(path: string): Promise<T> {
  return JSON.parse(await readFile(path, 'utf8')) as T;
}

/** Sorted for a set comparison that is stable for numbers and strings alike. */
const asSet = (ids: readonly MachineDataId[]): string[] => ids.map((id) => JSON.stringify(id)).sort();

/**
 * Asserts that every product of the truth is in the report and that its first three ranked
 * parameters are exactly its planted drivers (in any order: close strengths may swap).
 */
export function expectTopThreeArePlanted(report: ReportJson, truth: MachineDataTruth): void {
  expect(report.products.map((p) => JSON.stringify(p.product)).sort()).toEqual(truth.products.map((p) => JSON.stringify(p.product)).sort());
  for (const planted of truth.products) {
    const product = report.products.find((p) => p.product === planted.product)!;
    const top = product.ranking.slice(0, 3).map((e) => e.parameter);
    expect(asSet(top), `top three of product ${JSON.stringify(planted.product)}`).toEqual(asSet(planted.drivers.map((d) => d.parameter)));
  }
}

/**
 * Asserts the shape of `report.json` given in issue 4: `{products:[{product, intervals,
 * ranking:[{parameter, r, spearman, n, p, ci:[lo,hi]}]}]}`, ids as in the input, ranking strongest
 * first. The renderer adds documented fields beside them (`kind`, `measure`, `status`, `reason`,
 * `skipped`, `excluded`); anything else fails.
 */
export function expectReportShape(report: unknown, idType: 'number' | 'string'): asserts report is ReportJson {
  expect(Object.keys(report as object)).toEqual(['products']);
  const { products } = report as { products: unknown[] };
  expect(Array.isArray(products)).toBe(true);
  for (const product of products as Record<string, unknown>[]) {
    expect(typeof product.product).toBe(idType);
    expect(Number.isInteger(product.intervals)).toBe(true);
    expect(Object.keys(product).filter((k) => !['product', 'intervals', 'ranking', 'status', 'reason', 'skipped', 'excluded'].includes(k))).toEqual([]);
    const ranking = product.ranking as Record<string, unknown>[];
    expect(Array.isArray(ranking)).toBe(true);
    for (const entry of ranking) {
      expect(Object.keys(entry).filter((k) => !['parameter', 'r', 'spearman', 'n', 'p', 'ci', 'lagSeconds', 'kind', 'measure'].includes(k))).toEqual([]);
      expect(entry.lagSeconds as number).toBeGreaterThanOrEqual(0);
      expect(typeof entry.parameter).toBe(idType);
      for (const k of ['r', 'spearman', 'p']) expect(Number.isFinite(entry[k]), k).toBe(true);
      expect(Math.abs(entry.r as number)).toBeLessThanOrEqual(1);
      expect(entry.p as number).toBeGreaterThanOrEqual(0);
      expect(entry.p as number).toBeLessThanOrEqual(1);
      expect(Number.isInteger(entry.n)).toBe(true);
      const ci = entry.ci as number[];
      expect(ci).toHaveLength(2);
      expect(ci[0]!).toBeLessThanOrEqual(entry.r as number);
      expect(ci[1]!).toBeGreaterThanOrEqual(entry.r as number);
    }
    const strengths = ranking.map((e) => Math.abs(e.r as number));
    expect(strengths).toEqual([...strengths].sort((a, b) => b - a));
  }
}
