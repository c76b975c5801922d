/**
 * Writes a generated data set as the two JSON-array files (`metrics.json`, `workorder.json`) in
 * bounded memory: records are generated chunk by chunk and streamed out, waiting for `drain` when a
 * file falls behind. The only I/O of the generator.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { SluiceError, describeError } from '../errors.js';
import { machineDataJsonLines, type MachineDataTimeFormat } from './format.js';
import { machineDataStream } from './generate.js';
import type { MachineDataOptions } from './options.js';
import type { MachineDataTruth } from './plan.js';

/** Where to write. */
export interface MachineDataFiles {
  /** Path of the metrics file (`[{"id", "val", "time"}, …]`). */
  metrics: string;
  /** Path of the work-order file (`[{"time", "product", "production"}, …]`). */
  workorders: string;
}

/** How to write. */
export interface WriteMachineDataOptions {
  /** Time format in the files. Default `iso`. */
  timeFormat?: MachineDataTimeFormat;
  /** Samples generated per chunk (bounds memory). Default 65 536. */
  chunkSize?: number;
}

/** What was written. */
export interface WrittenMachineData {
  metrics: number;
  workorders: number;
  truth: MachineDataTruth;
}

/** One JSON array being written to a file. */
class JsonArrayFile {
  private readonly stream: WriteStream;
  private empty = true;

  constructor(readonly path: string) {
    this.stream = createWriteStream(path);
    this.stream.on('error', () => undefined); // surfaced by the next write/drain/close instead
  }

  /** Appends `,\n`-separated records (no brackets). */
  async append(lines: string): Promise<void> {
    if (lines.length === 0) return;
    await this.write(`${this.empty ? '[\n' : ',\n'}${lines}`);
    this.empty = false;
  }

  /** Ends the array and closes the file. */
  async close(): Promise<void> {
    await this.write(this.empty ? '[]\n' : '\n]\n');
    await new Promise<void>((resolve, reject) => {
      this.stream.end((error?: Error | null) => (error ? reject(this.failure(this.stream.errored ?? error)) : resolve()));
    });
  }

  /** Gives up: closes the file without ending the array. */
  destroy(): void {
    this.stream.destroy();
  }

  private async write(text: string): Promise<void> {
    if (this.stream.errored) throw this.failure(this.stream.errored);
    if (this.stream.write(text)) return;
    try {
      await once(this.stream, 'drain');
    } catch (error) {
      throw this.failure(error);
    }
  }

  private failure(cause: unknown): SluiceError {
    return new SluiceError(
      `could not write generated machine data to ${this.path}: ${describeError(cause)}. Check that the folder exists and is writable, and that the disk has room.`,
      { cause },
    );
  }
}

/** Generates the data set of `options` into the two files; resolves with the counts and the planted truth. */
export async function writeMachineDataFiles(
  options: MachineDataOptions,
  files: MachineDataFiles,
  write: WriteMachineDataOptions = {},
): Promise<WrittenMachineData> {
  const stream = machineDataStream(options);
  const timeFormat = write.timeFormat ?? 'iso';
  const metrics = new JsonArrayFile(files.metrics);
  const workorders = new JsonArrayFile(files.workorders);
  let counts = { metrics: 0, workorders: 0 };
  try {
    for (const chunk of stream.chunks(write.chunkSize)) {
      const text = machineDataJsonLines(chunk, timeFormat);
      await Promise.all([metrics.append(text.metrics), workorders.append(text.workorders)]);
      counts = { metrics: counts.metrics + chunk.metrics.id.length, workorders: counts.workorders + chunk.workorders.length };
    }
    await Promise.all([metrics.close(), workorders.close()]);
  } catch (error) {
    metrics.destroy();
    workorders.destroy();
    throw error;
  }
  return { ...counts, truth: stream.truth };
}
