/**
 * A Parquet file as hyparquet's `AsyncBuffer`: byte ranges read on demand through one file handle,
 * so a read holds the footer and the row group it decodes, never the whole file, and releases the
 * handle when it ends. A small file (up to {@link WHOLE_FILE_BYTES}) is read whole at once, with
 * blocking calls: four system calls of a few microseconds, where a file handle's five asynchronous
 * operations cost some 200 µs of CPU per file (a folder of 43,201 per-minute files: 9 s).
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { describeError } from '@sluice/core';
import type { AsyncBuffer } from 'hyparquet';
import { ParquetFileError } from './errors.js';

/** An open Parquet file. */
export interface ParquetFileBuffer extends AsyncBuffer {
  /** Closes the handle; later slices reject. Safe to call more than once. */
  close(): Promise<void>;
}

/** Files up to this size are read whole, at once (the footer fetch would take up to 512 KiB of their end anyway). */
export const WHOLE_FILE_BYTES = 1 << 20;

/** A file read whole: the whole of it is its buffer, other slices are copies. */
function wholeFile(bytes: Uint8Array): ParquetFileBuffer {
  return {
    byteLength: bytes.length,
    slice: (start: number, end = bytes.length) => {
      const to = Math.min(end, bytes.length);
      return start === 0 && to === bytes.length && bytes.byteOffset === 0 && bytes.buffer.byteLength === to ? (bytes.buffer as ArrayBuffer) : bytes.slice(start, to).buffer;
    },
    close: () => Promise.resolve(),
  };
}

/** The whole of a small regular file, read with blocking calls; `undefined` when it is larger (or not a regular file). */
function readSmallFile(path: string): Uint8Array | undefined {
  const fd = openSync(path, 'r');
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile() || stats.size > WHOLE_FILE_BYTES) return undefined;
    const bytes = new Uint8Array(stats.size);
    let done = 0;
    while (done < bytes.length) {
      const read = readSync(fd, bytes, done, bytes.length - done, done);
      if (read === 0) return bytes.subarray(0, done); // it shrank meanwhile: the footer check will say so
      done += read;
    }
    return bytes;
  } finally {
    closeSync(fd);
  }
}

function cannotOpen(path: string, sourceName: string, error: unknown): ParquetFileError {
  return new ParquetFileError(
    `Source "${sourceName}" cannot open ${path}: ${describeError(error)}. Check that the file exists and is readable.`,
    sourceName,
    path,
    { cause: error },
  );
}

/** Opens `path` for source `sourceName`; a missing, unreadable or non-regular file rejects with a `ParquetFileError`. */
export async function openParquetFile(path: string, sourceName: string): Promise<ParquetFileBuffer> {
  let small: Uint8Array | undefined;
  try {
    small = readSmallFile(path);
  } catch (error) {
    throw cannotOpen(path, sourceName, error);
  }
  if (small !== undefined) return wholeFile(small);
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    throw cannotOpen(path, sourceName, error);
  }
  let size: number;
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) throw new Error('it is not a regular file');
    size = stats.size;
  } catch (error) {
    await handle.close();
    throw new ParquetFileError(`Source "${sourceName}" cannot read ${path}: ${describeError(error)}. Give the path of a Parquet file.`, sourceName, path, {
      cause: error,
    });
  }
  let closed: Promise<void> | undefined;
  // The footer read (hyparquet fetches up to the last 512 KiB) is kept: for a small file it holds the
  // row groups too, which are then served from it instead of read a second time.
  let tail: { start: number; bytes: Uint8Array } | undefined;
  return {
    byteLength: size,
    async slice(start: number, end = size): Promise<ArrayBuffer> {
      end = Math.min(end, size);
      if (tail !== undefined && start >= tail.start && end <= tail.start + tail.bytes.length) {
        return tail.bytes.slice(start - tail.start, end - tail.start).buffer;
      }
      const length = Math.max(0, end - start);
      const bytes = new Uint8Array(length);
      let done = 0;
      while (done < length) {
        const { bytesRead } = await handle.read(bytes, done, length - done, start + done);
        if (bytesRead === 0) {
          throw new Error(`the file ended at byte ${start + done}, before byte ${start + length} that its footer points to (it shrank while being read?)`);
        }
        done += bytesRead;
      }
      if (tail === undefined && end === size) tail = { start, bytes };
      return bytes.buffer;
    },
    close: () => (closed ??= handle.close()),
  };
}
