/**
 * A big file with one malformed record in the middle, through each file source and the HTTP source
 * into SQLite, each in a child process bounded in time: exactly that record is dead-lettered with
 * its position, every other record lands (count and time checksum), and the reader's peak memory
 * stays far below the file's size. 32 MiB by default; `SLUICE_CORPUS_BIG=1` makes it 2 GiB.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { BIG_FILE_BYTES, badReason, bigFile, removeBigFile, type BigFile } from './big-file.js';
import { FORMATS, type Format } from './entries.js';
import { expectRejects } from './expectations.js';
import { serveNdjson, type Served } from './http-fixture.js';
import { landIsolated, type IsolatedLanding } from './isolated.js';

const big = BIG_FILE_BYTES >= 1024 ** 3;
/** Bound of one load: generous for 2 GiB on two cores, tight enough that a hang fails the default run. */
const LOAD_MS = big ? 20 * 60_000 : 60_000;
/** Peak memory a reader may reach: far below a 2 GiB file, well above a process's base. */
const MAX_RSS_MB = 400;
const size = `${Math.round(BIG_FILE_BYTES / 1024 ** 2)} MiB`;

const stores = mkdtemp(join(tmpdir(), 'sluice-corpus-big-'));
let served: Served | undefined;
afterEach(async () => {
  await served?.close();
  served = undefined;
});
afterAll(async () => {
  await Promise.all(FORMATS.map((format) => removeBigFile(format)));
  await rm(await stores, { recursive: true, force: true });
});

/** Checks a big load: one dead letter at the bad record, every other record landed, bounded memory. */
function expectBigLanded(landing: IsolatedLanding, file: BigFile, label: string): void {
  expect(landing.error, `${label}: the load must complete`).toBeUndefined();
  const summary = landing.summary!;
  expect(summary.read, `${label}: read = persisted + rejected`).toBe(summary.persisted + summary.rejected);
  expect(summary.read, `${label}: read`).toBe(file.records);
  expectRejects(landing.letters, [{ ...file.bad, reason: badReason(file.format) }], label);
  expect(landing.rowCount, `${label}: rows in the store`).toBe(file.valid);
  expect(landing.timeSum, `${label}: checksum of the rows' times`).toBe(file.timeSum);
  expect(landing.maxRssMb, `${label}: peak memory of the reading process, in MiB`).toBeLessThan(MAX_RSS_MB);
  console.info(`${label}: ${file.records} records, ${summary.persisted} persisted, 1 rejected, peak RSS ${landing.maxRssMb} MiB`);
}

describe(`a ${size} file with one bad record in the middle`, () => {
  it.each(FORMATS)(
    'through the %s file source',
    async (format: Format) => {
      const file = await bigFile(format);
      const storeFile = join(await stores, `${format}.sqlite`);
      const landing = await landIsolated({ input: { format, path: file.path }, storeFile, readRows: false, timeoutMs: LOAD_MS });
      expectBigLanded(landing, file, `${size} ${format} file`);
    },
    LOAD_MS * 2,
  );

  it(
    'through the HTTP source (the NDJSON file served)',
    async () => {
      const file = await bigFile('ndjson');
      served = await serveNdjson({ path: file.path });
      const storeFile = join(await stores, 'http.sqlite');
      const landing = await landIsolated({ input: { url: served.url }, storeFile, readRows: false, timeoutMs: LOAD_MS });
      expectBigLanded(landing, file, `${size} NDJSON over HTTP`);
    },
    LOAD_MS * 2,
  );
});
