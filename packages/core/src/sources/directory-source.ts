/**
 * A source over the files of a folder, read one after the other in name order through a source per
 * file (CSV, NDJSON, Parquet, …). Each item's position carries the file and the inner source's
 * position, so a pipeline resumes in the right file at the right record, and the last item of
 * each file is marked, so a pipeline can commit exactly one checkpoint per file. With `watch` it
 * keeps polling the folder for new files until unsubscribed.
 */
import { readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { Observable, type Subscription } from 'rxjs';
import { ConfigError, SluiceError, SourceError, describeError } from '../errors.js';
import type { Position, ReadOptions, Source, SourceRecord } from '../types.js';
import { wholeNumber } from './file-source.js';
import { rejectOf } from './reject.js';

/** Options of {@link directorySource}. */
export interface DirectorySourceOptions<T> {
  /** The folder to read. Subfolders are not entered. */
  dir: string;
  /**
   * Makes the source of one file, e.g. `(path) => csvSource({ path })`. `file` is the file's name
   * in the folder. Called once per file per read; a throw counts as a failure of that file.
   */
  open: (path: string, file: string) => Source<T>;
  /** Reads only files whose name ends with one of these (case-insensitive), e.g. `['.parquet']`. */
  extensions?: readonly string[];
  /** Reads only files for whose name this returns true (after `extensions`). Names starting with `.` are always skipped. */
  filter?: (file: string) => boolean;
  /** Stable source name (checkpoint stream id); defaults to the folder's base name. */
  name?: string;
  /**
   * Keeps reading after the last file: polls the folder every `intervalMs` (default 1000) for files
   * whose names sort after the last file read, until unsubscribed. A file is taken once it has
   * not been modified for `settleMs` (default `intervalMs`), so one still being written is left for
   * a later poll; writers that create a file under a temporary name (skipped by `extensions` or
   * `filter`) and rename it when complete are safest. The read then never completes.
   */
  watch?: boolean | { intervalMs?: number; settleMs?: number };
  /**
   * What a file whose source fails with a non-retriable error becomes (a truncated or corrupt
   * file, a missing column): `reject` (default) — one reject naming the file and the error, whose
   * position marks the file done, and reading goes on with the next file; `fail` — the read fails.
   * Retriable errors (a lost connection, a full disk) and a `ConfigError` from `open` (bad source
   * options) always fail the read: they are not the file's fault.
   */
  onFileError?: 'reject' | 'fail';
}

/** What the `cursor` of a directory source's position holds (as JSON). */
export interface DirectoryCursor {
  /** Name of the file (within the folder) the item came from. */
  file: string;
  /** The item's position within the file, as the file's source gave it (absent for a file-level failure). */
  at?: Position;
  /** True on the last item of the file: the file is done, every record of it has been emitted. */
  end?: true;
  /** True on the reject of a file whose source failed; `end` is true as well. */
  failed?: true;
}

/**
 * The directory cursor of a position a directory source emitted, or `undefined` for any other
 * position. A loader that commits once per file closes its batch at positions where `end` is true.
 */
export function directoryCursor(position: Position | undefined): DirectoryCursor | undefined {
  if (position?.cursor === undefined || !position.cursor.startsWith('{"file":')) return undefined;
  try {
    const cursor = JSON.parse(position.cursor) as DirectoryCursor;
    return typeof cursor.file === 'string' ? cursor : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether `position` is the last of its file in a directory source (its last record or reject, or
 * the reject of a file that failed): the place for a per-file checkpoint.
 */
export function isFileEnd(position: Position | undefined): boolean {
  return position?.cursor !== undefined && position.cursor.endsWith(',"end":true}');
}

/** How a read goes on after a position. */
interface Resume {
  index: number;
  cursor: DirectoryCursor | undefined;
}

/**
 * Reads the files of `options.dir` in name order (plain code-unit order, so zero-padded or ISO
 * names sort in time), each through `options.open(path, file)`, passing the pipeline's flow control
 * to every file's source. Items keep their kind; their positions are
 * `{ index, cursor }`: `index` counts items across all files, `cursor` is a {@link DirectoryCursor}
 * as JSON. `read(position)` continues inside that position's file after the inner position (or
 * with the next file when the position ended its file), then reads every later file: files named
 * before it are not read again, even if new. A file without records yields no item.
 */
export function directorySource<T>(options: DirectorySourceOptions<T>): Source<T> {
  const name = options.name ?? basename(options.dir);
  const extensions = (options.extensions ?? []).map((extension) => extension.toLowerCase());
  const watch = options.watch === true ? {} : options.watch || undefined;
  const intervalMs = watch ? wholeNumber(watch.intervalMs ?? 1000, 'watch.intervalMs', 1) : 0;
  const settleMs = watch ? wholeNumber(watch.settleMs ?? intervalMs, 'watch.settleMs', 0) : 0;
  const onFileError = options.onFileError ?? 'reject';
  if (onFileError !== 'reject' && onFileError !== 'fail') {
    throw new ConfigError(`onFileError must be 'reject' or 'fail', got ${JSON.stringify(onFileError)}.`, 'onFileError');
  }
  const wanted = (file: string): boolean =>
    !file.startsWith('.') &&
    (extensions.length === 0 || extensions.some((extension) => file.toLowerCase().endsWith(extension))) &&
    (options.filter?.(file) ?? true);

  /** The wanted regular files named after `after`, in name order, with their modification times. */
  const list = async (after: string | undefined): Promise<{ file: string; mtimeMs: number }[]> => {
    let entries;
    try {
      entries = await readdir(options.dir, { withFileTypes: true });
    } catch (error) {
      throw new SourceError(
        `Source "${name}" cannot list the folder ${options.dir}: ${describeError(error)}. Check that it exists and is readable.`,
        name,
        { cause: error, retriable: (error as NodeJS.ErrnoException).code === 'EMFILE' },
      );
    }
    const files = entries
      .filter((entry) => (entry.isFile() || entry.isSymbolicLink()) && wanted(entry.name) && (after === undefined || entry.name > after))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const out: { file: string; mtimeMs: number }[] = [];
    for (const entry of files) {
      // Only watching needs modification times; a link is followed to see whether it leads to a file.
      if (!watch && entry.isFile()) {
        out.push({ file: entry.name, mtimeMs: 0 });
        continue;
      }
      // A file removed between the listing and now is no longer there to read: leave it out.
      const stats = await stat(join(options.dir, entry.name)).catch(() => undefined);
      if (stats?.isFile()) out.push({ file: entry.name, mtimeMs: stats.mtimeMs });
    }
    return out;
  };

  return {
    name,
    read: (from?: Position, readOptions?: ReadOptions) =>
      new Observable<SourceRecord<T>>((subscriber) => {
        const resume = resumeOf(from, name);
        let index = resume.index;
        let inner: Subscription | undefined;
        let cancel: () => void = () => undefined;
        const cancelled = new Promise<void>((resolve) => (cancel = resolve));
        let timer: NodeJS.Timeout | undefined;

        /** Reads one file to its end; resolves when done (or cancelled), rejects when the read must fail. */
        const readFile = (file: string, at: Position | undefined): Promise<void> =>
          new Promise<void>((resolve, reject) => {
            const prefix = `{"file":${JSON.stringify(file)},"at":`;
            const position = (within: Position, end: boolean): Position => ({
              index: index++,
              cursor: `${prefix}${JSON.stringify(within)}${end ? ',"end":true}' : '}'}`,
            });
            // The last item is held back until the next one or the end comes, to mark it as the file's end.
            let held: SourceRecord<T> | undefined;
            const release = (end: boolean) => {
              if (held === undefined) return;
              const item = held;
              held = undefined;
              const outer = position(item.position, end);
              subscriber.next(item.kind === 'record' ? { kind: 'record', value: item.value, position: outer } : { ...item, position: outer });
            };
            const failed = (error: unknown) => {
              release(false);
              const failure = asFileError(error, name, file, options.dir);
              // Retriable failures may pass if tried again, and bad options fail every file alike: neither is the file's fault.
              if (failure.retriable || failure instanceof ConfigError || onFileError === 'fail') return reject(failure);
              subscriber.next(
                rejectOf(`file ${file} could not be read: ${failure.message}`, file, {
                  index: index++,
                  cursor: `{"file":${JSON.stringify(file)},"failed":true,"end":true}`,
                }),
              );
              resolve();
            };
            void cancelled.then(() => resolve());
            if (subscriber.closed) return resolve();
            let source: Source<T>;
            try {
              source = options.open(join(options.dir, file), file);
            } catch (error) {
              failed(error);
              return;
            }
            inner = source.read(at, readOptions).subscribe({
              next: (item) => {
                release(false);
                held = item;
              },
              error: failed,
              complete: () => {
                release(true);
                resolve();
              },
            });
          });

        const pause = (ms: number) =>
          new Promise<void>((resolve) => {
            timer = setTimeout(resolve, ms);
            void cancelled.then(() => resolve());
          });

        const run = async (): Promise<void> => {
          let after = resume.cursor?.file;
          if (resume.cursor && !resume.cursor.end) {
            const here = await stat(join(options.dir, resume.cursor.file)).catch(() => undefined);
            // A file gone since the checkpoint has nothing left to read: go on with the next one.
            if (here?.isFile()) await readFile(resume.cursor.file, resume.cursor.at);
          }
          for (;;) {
            if (subscriber.closed) return;
            const now = Date.now();
            for (const { file, mtimeMs } of await list(after)) {
              if (subscriber.closed) return;
              // Watching: a file modified within settleMs may still be being written; it and later files wait.
              if (watch && now - mtimeMs < settleMs) break;
              await readFile(file, undefined);
              after = file;
            }
            if (!watch) break;
            await pause(intervalMs);
          }
          subscriber.complete();
        };

        run().catch((error: unknown) => {
          if (!subscriber.closed) subscriber.error(asFileError(error, name, undefined, options.dir));
        });
        return () => {
          inner?.unsubscribe();
          clearTimeout(timer);
          cancel();
        };
      }),
  };
}

/** Where a read after `from` goes on. */
function resumeOf(from: Position | undefined, name: string): Resume {
  // A position without a cursor says nothing about which file to go on in: start over.
  if (from?.cursor === undefined) return { index: 0, cursor: undefined };
  const cursor = directoryCursor(from);
  if (cursor === undefined) {
    throw new SourceError(
      `Source "${name}" cannot resume at ${JSON.stringify(from)}: it is not a position of a directory source. Reset the checkpoint to read the folder from the start.`,
      name,
    );
  }
  return { index: (from.index ?? -1) + 1, cursor };
}

/** `error` as a Sluice error that names `file`, keeping its `retriable`. */
function asFileError(error: unknown, name: string, file: string | undefined, dir: string): SluiceError {
  if (error instanceof SluiceError) return error;
  const where = file === undefined ? `the folder ${dir}` : `file ${join(dir, file)}`;
  return new SourceError(`Source "${name}" failed on ${where}: ${describeError(error)}.`, name, { cause: error });
}
