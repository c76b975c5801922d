/**
 * The NDJSON cases of the corpus through the HTTP source, served by a local server, into SQLite
 * with `load`: the same rejects at the same lines as from a file, every valid record lands, and a
 * broken or endless stream fails with a clear error instead of hanging or growing without bound.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { SourceError, httpSource, type HttpSourceOptions } from '@sluice/core';
import { tempFiles } from '@sluice/core/testkit';
import { hugeLineCase, smallCases } from './cases.js';
import { T0, validRun } from './entries.js';
import { expectLanded } from './expectations.js';
import { serveNdjson, type Served } from './http-fixture.js';
import { landIsolated } from './isolated.js';
import { landSource } from './landing.js';
import { appliesTo, render } from './render.js';

let served: Served | undefined;
afterEach(async () => {
  await served?.close();
  served = undefined;
});

/** The NDJSON text of three valid records. */
const head = () => render({ name: 'head', entries: validRun('ok', 3) }, 'ndjson').content;

describe('corpus through the HTTP source', () => {
  for (const corpusCase of smallCases.filter((c) => appliesTo(c, 'ndjson'))) {
    it(corpusCase.name, async () => {
      const rendered = render(corpusCase, 'ndjson');
      served = await serveNdjson({ bytes: rendered.content, piece: 61 });
      const landing = await landSource(httpSource({ url: served.url }));
      expectLanded(landing, rendered, `HTTP, ${corpusCase.name}`);
    });
  }

  it('a 20 MB single line: the record carrying it lands', async () => {
    const huge = hugeLineCase();
    const rendered = render({ ...huge, entries: huge.entries.filter((_, k) => k !== 2 && k !== 3) }, 'ndjson');
    const files = tempFiles('sluice-corpus-http-');
    try {
      served = await serveNdjson({ path: await files.write(rendered.content, 'ndjson') });
      const landing = await landIsolated({ input: { url: served.url }, timeoutMs: 40_000 });
      expectLanded(landing, rendered, 'HTTP, a 20 MB line');
    } finally {
      await files.remove();
    }
  }, 70_000);

  it('a line longer than maxRecordBytes fails the read with a SourceError instead of growing; the records before it land', async () => {
    const endless = Buffer.from(`{"id":"endless","val":1,"time":${T0},"note":"${'x'.repeat(8 << 20)}`);
    served = await serveNdjson({ bytes: Buffer.concat([head(), endless]), piece: 1 << 16 });
    // `maxRecordBytes` is what the file sources take; the HTTP source should bound a line the same way.
    const options = { url: served.url, maxRecordBytes: 1 << 20 } as HttpSourceOptions;
    const landing = await landSource(httpSource(options));
    expect(String(landing.error), 'the read fails naming the limit').toMatch(/maxRecordBytes/);
    expect(landing.rows.map((row) => row.parameter), 'the valid records before the long line').toEqual(['"ok0"', '"ok1"', '"ok2"']);
  });

  it('a stream broken off mid-line fails with a retriable SourceError naming the URL; the records before the break land', async () => {
    served = await serveNdjson({ bytes: Buffer.concat([head(), Buffer.from('{"id":"cut","va')]), breakOff: true });
    const landing = await landSource(httpSource({ url: served.url }));
    expect(landing.error).toBeInstanceOf(SourceError);
    expect((landing.error as SourceError).retriable).toBe(true);
    expect(String(landing.error)).toContain(served.url);
    expect(landing.letters, 'no reject is made of the cut line').toEqual([]);
    expect(landing.rows.map((row) => row.parameter), 'the valid records before the break').toEqual(['"ok0"', '"ok1"', '"ok2"']);
  });
});
