import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SluiceError } from '../errors.js';
import { metricSchema, workorderSchema } from '../schemas/machine-data.js';
import { generateMachineData, toMetricRecords } from './generate.js';
import { writeMachineDataFiles } from './write-files.js';

describe('writeMachineDataFiles', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-datagen-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const options = { seed: 4, durationMs: 4 * 86_400_000, ids: 'string' as const };

  it('writes the two JSON arrays, record for record what generateMachineData returns', async () => {
    const files = { metrics: join(dir, 'metrics.json'), workorders: join(dir, 'workorder.json') };
    const written = await writeMachineDataFiles(options, files, { chunkSize: 500 });
    const expected = generateMachineData(options);
    const metrics = (JSON.parse(readFileSync(files.metrics, 'utf8')) as unknown[]).map((m) => metricSchema.parse(m));
    const workorders = (JSON.parse(readFileSync(files.workorders, 'utf8')) as unknown[]).map((w) => workorderSchema.parse(w));
    expect(metrics).toEqual(toMetricRecords(expected.metrics));
    expect(workorders).toEqual(expected.workorders);
    expect(written).toEqual({ metrics: metrics.length, workorders: workorders.length, truth: expected.truth });
    expect(readFileSync(files.metrics, 'utf8')).toMatch(/^\[\n\{"id":"param-\d+","val":-?[\d.e+-]+,"time":"2021-06-\d\dT\d\d:\d\d:\d\d\.000Z"\},\n/);
  });

  it('writes epoch seconds like the sample files when asked', async () => {
    const files = { metrics: join(dir, 'm-s.json'), workorders: join(dir, 'w-s.json') };
    await writeMachineDataFiles({ ...options, durationMs: 86_400_000 }, files, { timeFormat: 'epoch-s' });
    const first = (JSON.parse(readFileSync(files.workorders, 'utf8')) as { time: unknown }[])[0]!;
    expect(first.time).toBe(Date.UTC(2021, 5, 22) / 1000);
  });

  it('fails with a SluiceError naming the path when the folder does not exist', async () => {
    const files = { metrics: join(dir, 'missing', 'metrics.json'), workorders: join(dir, 'w.json') };
    const failure = writeMachineDataFiles(options, files);
    await expect(failure).rejects.toThrow(SluiceError);
    await expect(failure).rejects.toThrow(/missing\/metrics\.json.*exists and is writable/);
  });
});
