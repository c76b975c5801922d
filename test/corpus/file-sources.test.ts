/**
 * The bad-input corpus through each file source (NDJSON, JSON array, CSV) and the `load` pipeline
 * into SQLite: every bad record becomes a dead letter naming its position and reason, every valid
 * record lands, and nothing crashes or hangs.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { SourceError } from '@sluice/core';
import { tempFiles } from '@sluice/core/testkit';
import { hugeLineCase, smallCases } from './cases.js';
import { FORMATS, T0, validRun } from './entries.js';
import { EXTENSIONS, fileSourceFor } from './file-sources.js';
import { landIsolated } from './isolated.js';
import { expectLanded } from './expectations.js';
import { landSource } from './landing.js';
import { appliesTo, render } from './render.js';

const files = tempFiles('sluice-corpus-');
afterAll(() => files.remove());

describe.each(FORMATS)('corpus through the %s file source', (format) => {
  for (const corpusCase of smallCases.filter((c) => appliesTo(c, format))) {
    // The default chunk holds a whole small file; 61-byte chunks cut records and characters apart.
    it.each([{ chunk: 'default' }, { chunk: 61 }])(`${corpusCase.name} (chunk $chunk)`, async ({ chunk }) => {
      const rendered = render(corpusCase, format);
      const path = await files.write(rendered.content, EXTENSIONS[format]);
      const landing = await landSource(fileSourceFor(format, path, typeof chunk === 'number' ? { chunkSize: chunk } : {}));
      expectLanded(landing, rendered, `${format} file, ${corpusCase.name}`);
    });
  }

  it('20 MB single lines: the valid record with one lands, the malformed ones are rejected with short reasons', async () => {
    const rendered = render(hugeLineCase(), format);
    const path = await files.write(rendered.content, EXTENSIONS[format]);
    // Generous bounds: on a busy machine (two test workers, other suites spawning processes) the
    // 20 MB lines took 26-34 s; they bound a hang, not the speed.
    const landing = await landIsolated({ input: { format, path }, timeoutMs: 90_000 });
    expectLanded(landing, rendered, `${format} file, 20 MB lines`);
  }, 150_000);

  it('a record longer than maxRecordBytes fails the read with a SourceError naming its byte offset; the records before it land', async () => {
    const head = render({ name: 'head', entries: validRun('ok', 3), cut: format === 'json' }, format).content.toString();
    const opening = format === 'json' ? `${head},\n` : head;
    const endless = format === 'csv' ? `"never closed,${'x'.repeat(3 << 20)}` : `{"id":"endless","val":1,"time":${T0},"note":"${'x'.repeat(3 << 20)}`;
    const path = await files.write(opening + endless, EXTENSIONS[format]);
    const landing = await landSource(fileSourceFor(format, path, { maxRecordBytes: 1 << 20 }));
    expect(landing.error).toBeInstanceOf(SourceError);
    expect(String(landing.error)).toMatch(new RegExp(`record starting at byte ${Buffer.byteLength(opening)} .* longer than maxRecordBytes`));
    expect(landing.rows.map((row) => row.parameter), 'the valid records before the oversized one').toEqual(['"ok0"', '"ok1"', '"ok2"']);
  });
});

describe('corpus records cannot pollute prototypes', () => {
  it('a "__proto__" or "constructor" field of a record leaves Object.prototype alone', async () => {
    for (const format of FORMATS) {
      const extra = smallCases.find((c) => c.name === 'unknown extra fields')!;
      const path = await files.write(render(extra, format).content, EXTENSIONS[format]);
      await landSource(fileSourceFor(format, path));
    }
    expect((Object.prototype as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
