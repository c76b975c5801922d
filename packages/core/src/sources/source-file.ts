/** Opening and reading the file behind a file source, with every failure as a `SourceError`. */
import { open, type FileHandle } from 'node:fs/promises';
import { SourceError, describeError } from '../errors.js';

/** The UTF-8 byte order mark some tools write at the start of text files. */
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/** An open file of a source. */
export interface SourceFile {
  /** Size in bytes when it was opened. */
  readonly size: number;
  /** Where the content starts: 3 after a UTF-8 byte order mark, else 0. */
  readonly contentStart: number;
  /** Reads up to `buffer.length` bytes at `offset` into `buffer`; resolves with the count (0 at the end). */
  read(buffer: Buffer, offset: number): Promise<number>;
  /** Closes the handle. */
  close(): Promise<void>;
}

/** Opens `path` for source `sourceName`; a missing or unreadable file rejects with a `SourceError`. */
export async function openSourceFile(path: string, sourceName: string): Promise<SourceFile> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    throw new SourceError(
      `Source "${sourceName}" cannot open ${path}: ${describeError(error)}. Check that the file exists and is readable.`,
      sourceName,
      { cause: error },
    );
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) {
      throw new SourceError(`Source "${sourceName}" cannot read ${path}: it is not a regular file. Give the path of a file.`, sourceName);
    }
    const head = Buffer.alloc(BOM.length);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    const contentStart = bytesRead === BOM.length && head.equals(BOM) ? BOM.length : 0;
    return {
      size: stats.size,
      contentStart,
      read: async (buffer, offset) => {
        try {
          return (await handle.read(buffer, 0, buffer.length, offset)).bytesRead;
        } catch (error) {
          throw new SourceError(
            `Source "${sourceName}" failed reading ${path} at byte ${offset}: ${describeError(error)}. Check the disk and the file, then run again.`,
            sourceName,
            { cause: error },
          );
        }
      },
      close: () => handle.close(),
    };
  } catch (error) {
    await handle.close();
    throw error instanceof SourceError
      ? error
      : new SourceError(`Source "${sourceName}" cannot inspect ${path}: ${describeError(error)}.`, sourceName, { cause: error });
  }
}
