/**
 * The bad-input corpus: every kind of broken line goes to the dead letters with its file, line and
 * reason; the good lines around them load; `read = persisted + rejected`.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkEvent } from '../src/events.js';
import { readAnswers } from '../src/answers.js';
import { load, openWarehouse, pgReachable, tempDir, type Engine, type TestWarehouse } from './support/warehouse.js';

const pg = await pgReachable();

const org = 'org-1';
const vehicle = (event: string, lat: unknown, lng: unknown, at: unknown, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ event, on: 'vehicle', at: '2019-06-01T10:00:01.000Z', data: { id: 'veh-1', location: { lat, lng, at } }, organization_id: org, ...extra });

/** The corpus: [line text, the reason expected (undefined: loads)]. Line numbers are 1-based, blank lines count. */
const corpus: [string, RegExp | undefined][] = [
  [JSON.stringify({ event: 'create', on: 'operating_period', at: '2019-06-01T05:00:00.000Z', data: { id: 'op-1', start: '2019-06-01T06:00:00.000Z', finish: '2019-06-01T14:00:00.000Z' }, organization_id: org }), undefined],
  [vehicle('register', 52.5, 13.4, '2019-06-01T10:00:00.000Z'), undefined],
  ['{"event":"update","on":"vehicle","at":"2019-06-01T10:00:', /^line 3 is not valid JSON/],
  [vehicle('teleport', 52.5, 13.4, '2019-06-01T10:01:00.000Z'), /^unknown event "teleport": expected one of create, update, register, deregister, delete$/],
  [JSON.stringify({ event: 'update', on: 'driver', at: '2019-06-01T10:00:00.000Z', data: { id: 'd-1' }, organization_id: org }), /^unknown entity "driver": expected one of vehicle, operating_period$/],
  [JSON.stringify({ event: 'update', on: 'vehicle', at: '2019-06-01T10:00:00.000Z', data: { location: { lat: 1, lng: 1, at: '2019-06-01T10:00:00Z' } }, organization_id: org }), /^missing field data\.id$/],
  [JSON.stringify({ event: 'update', on: 'vehicle', at: '2019-06-01T10:00:00.000Z', data: { id: 'veh-1' }, organization_id: org }), /^missing field data\.location$/],
  [vehicle('update', 95, 13.4, '2019-06-01T10:02:00.000Z'), /^coordinates out of range: data\.location\.lat 95 \(allowed -90 to 90\)$/],
  [vehicle('update', 52.5, -181, '2019-06-01T10:02:00.000Z'), /^coordinates out of range: data\.location\.lng -181/],
  [vehicle('update', 52.5, 13.4, '2019-06-01T10:02:00.000Z', { at: 'yesterday' }), /^unparseable time at: "yesterday"/],
  [vehicle('update', 52.5, 13.4, '2019-06-01 10:03'), /^unparseable time data\.location\.at: "2019-06-01 10:03"/],
  [vehicle('update', 52.5, 13.4, '2019-02-30T10:00:00Z'), /^unparseable time data\.location\.at/],
  [JSON.stringify({ event: 'register', on: 'operating_period', at: '2019-06-01T05:00:00.000Z', data: { id: 'op-2', start: '2019-06-01T06:00:00Z', finish: '2019-06-01T07:00:00Z' }, organization_id: org }), /^event "register" does not apply to an operating_period/],
  [JSON.stringify({ event: 'update', on: 'operating_period', at: '2019-06-01T05:00:00.000Z', data: { id: 'op-1', start: '2019-06-01T08:00:00Z', finish: '2019-06-01T07:00:00Z' }, organization_id: org }), /^data\.finish "2019-06-01T07:00:00Z" is before data\.start/],
  ['[1, 2, 3]', /^the line \(a JSON object\) must be an object, got \[1,2,3\]$/],
  ['"just a string"', /^the line \(a JSON object\) must be an object/],
  ['', undefined], // blank: skipped, not a record
  [JSON.stringify({ event: 'update', on: 'vehicle', at: '2019-06-01T10:00:00.000Z', data: { id: 'veh-1', location: { lat: 1, lng: 1, at: '2019-06-01T10:00:00Z' } } }), /^missing field organization_id$/],
  [vehicle('update', 52.51, 13.41, '2019-06-01T10:05:00.000Z'), undefined],
  [JSON.stringify({ event: 'update', on: 'vehicle', at: '2019-06-01T10:00:00.000Z', data: { id: 'veh\u00001', location: { lat: 1, lng: 1, at: '2019-06-01T10:00:00Z' } }, organization_id: org }), /^data\.id contains a NUL character/],
  [vehicle('update', '52.5', 13.4, '2019-06-01T10:06:00.000Z'), /^data\.location\.lat must be a number, got "52\.5"$/],
  [JSON.stringify({ event: 'delete', on: 'operating_period', at: '2019-06-01T05:00:00.000Z', organization_id: org }), /^missing field data$/],
  [vehicle('deregister', 52.52, 13.42, '2019-06-01T10:10:00.000Z'), undefined],
];

it('checkEvent types a good line and names the problem of a bad one', () => {
  expect(checkEvent(JSON.parse(corpus[1]![0]))).toEqual({ on: 'vehicle', event: 'register', at: Date.parse('2019-06-01T10:00:01.000Z'), organizationId: org, vehicleId: 'veh-1', location: { lat: 52.5, lng: 13.4, at: Date.parse('2019-06-01T10:00:00.000Z') } });
  expect(checkEvent(null)).toBe('missing field the line (a JSON object)');
});

describe.each<Engine>(['sqlite', 'pg'])('bad input on %s', (engine) => {
  describe.skipIf(engine === 'pg' && !pg)('the corpus', () => {
    let lake: { dir: string; remove: () => Promise<void> };
    let warehouse: TestWarehouse;
    const file = 'data/2019-06-01/1559347200.json';

    beforeAll(async () => {
      lake = await tempDir('bad');
      await mkdir(join(lake.dir, 'data/2019-06-01'), { recursive: true });
      await writeFile(join(lake.dir, file), corpus.map(([line]) => line).join('\n') + '\n');
      warehouse = await openWarehouse(engine, 'bad');
    });
    afterAll(async () => {
      await warehouse?.drop();
      await lake?.remove();
    });

    it('sends each bad line to the dead letters with file, line and reason, and loads the rest', async () => {
      const { summary, run } = await load(warehouse.store, lake.dir);
      const records = corpus.filter(([line]) => line !== '');
      const bad = corpus.map(([, reason], i) => ({ line: i + 1, reason })).filter((c) => c.reason !== undefined);
      expect(summary).toMatchObject({ read: records.length, persisted: records.length - bad.length, rejected: bad.length });
      expect(summary.persisted + summary.rejected).toBe(summary.read);

      const letters = await warehouse.store.readDeadLetters(`vehicle-events:${file}`);
      expect(letters.map((l) => l.position?.line)).toEqual(bad.map((b) => b.line));
      letters.forEach((letter, i) => expect(letter.reason, `line ${bad[i]!.line}`).toMatch(bad[i]!.reason!));
      expect(run.rejectedLines[0]).toEqual({ file, line: 3, reason: expect.stringMatching(/^line 3 is not valid JSON/) });

      // The good lines: one period, three fixes of veh-1 inside it.
      const positions = await warehouse.store.query<{ n: number | string }>('SELECT COUNT(*) AS n FROM positions');
      expect(Number(positions[0]!.n)).toBe(3);
      const answers = await readAnswers(warehouse.store);
      expect(answers.operatingPeriods).toEqual([{ id: 'op-1', start: '2019-06-01T06:00:00.000Z', finish: '2019-06-01T14:00:00.000Z', vehicles: 1, averageDistanceKm: expect.closeTo(2.6, 0) }]);
    });
  });
});
