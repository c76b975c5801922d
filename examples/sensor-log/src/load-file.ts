/**
 * Loading files, a few at once in one transaction (a "unit"): each file is read whole and checked,
 * its dimension ids resolved, and the unit's datalog rows, dead letters and per-file checkpoints
 * are written in one transaction (one COPY on PostgreSQL). A crash leaves nothing of the unit; a
 * file whose checkpoint matches its size and modification time is skipped; a file that changed
 * since is reloaded in place of its earlier rows.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { deadLetter, describeError, foreignKeyName, retry, type Checkpoint, type DeadLetter, type Position, type Row, type Store } from '@sluice/core';
import { isoFromEpochMs } from '@sluice/store-pg';
import { Dimensions } from './dimensions.js';
import { SensorFileError } from './errors.js';
import { readFileRows, type FileRows } from './read-file.js';

/** What the checkpoint of a file records (as JSON in its position's cursor). */
export interface FileState {
  size: number;
  mtimeMs: number;
  /** Rows loaded. */
  rows: number;
  /** Dead letters written for the file (bad rows, or 1 for a quarantined file). */
  rejected: number;
  /** True when the file as a whole could not be loaded. */
  quarantined?: true;
}

/** What loading a file did. */
export interface FileOutcome {
  file: string;
  status: 'loaded' | 'skipped' | 'quarantined';
  rows: number;
  rejected: number;
  /** Reasons of the dead letters, for the messages. */
  reasons: string[];
}

/** The foreign key a datalog row of a file breaks when the file has no `source_file` row (both stores name it in their error). */
const FILE_REFERENCE = foreignKeyName('datalog', { columns: ['file_id'] });

/** Checkpoint streams of files are `sensor-log:` + the file name. */
export const STREAM_PREFIX = 'sensor-log:';
export const fileStream = (file: string): string => `${STREAM_PREFIX}${file}`;

/** The files the loader reads: `.parquet` and `.csv`, not dot-files (files being written). */
export function isDataFile(name: string): boolean {
  const lower = name.toLowerCase();
  return !name.startsWith('.') && (lower.endsWith('.parquet') || lower.endsWith('.csv'));
}

function stateOf(position: Position | undefined): FileState | undefined {
  if (position?.cursor === undefined) return undefined;
  try {
    return JSON.parse(position.cursor) as FileState;
  } catch {
    return undefined;
  }
}

/** File states from checkpoints, by file name. */
function statesOf(checkpoints: ReadonlyMap<string, Position>): Map<string, FileState> {
  const out = new Map<string, FileState>();
  for (const [stream, position] of checkpoints) {
    const state = stateOf(position);
    if (state) out.set(stream.slice(STREAM_PREFIX.length), state);
  }
  return out;
}

/** The load state of every file, read at once. */
export async function readFileStates(store: Store): Promise<Map<string, FileState>> {
  return statesOf(await store.readCheckpoints({ prefix: STREAM_PREFIX }));
}

/** Whether a file on disk is the one its state describes (size and modification time). */
export function unchanged(state: FileState | undefined, size: number, mtimeMs: number): boolean {
  return state !== undefined && state.size === size && state.mtimeMs === mtimeMs;
}

/** The load state of the given files, read in one query. */
export async function readStatesOf(store: Store, files: readonly string[]): Promise<Map<string, FileState>> {
  return files.length === 0 ? new Map() : statesOf(await store.readCheckpoints(files.map(fileStream)));
}

/** The position a file's checkpoint holds: its state as JSON, and its row count as the index. */
export function filePosition(state: FileState): Position {
  return { index: state.rows, cursor: JSON.stringify(state) };
}

/** The checkpoints of a unit's files, one per file, written with the unit's rows. */
export function unitCheckpoints(states: ReadonlyMap<string, FileState>): Checkpoint[] {
  return [...states].map(([file, state]) => ({ stream: fileStream(file), position: filePosition(state) }));
}

/** A file of a unit: its name, and its known state (`null`: known to have none; undefined: read it). */
export interface UnitFile {
  file: string;
  state?: FileState | null;
}

/**
 * A file's good rows, ready for datalog: ids resolved (their dimension rows committed), values in
 * typed arrays (off the JavaScript heap: a unit being read holds no object per row).
 */
interface ReadyRows {
  count: number;
  fileId: number;
  row: Int32Array;
  createAt: Float64Array;
  sensor: Float64Array;
  product: Float64Array;
  expire: Float64Array;
}

/** A file read for a unit: what goes into the write, and its outcome once committed. */
interface ReadFile {
  file: string;
  state: FileState;
  earlier: FileState | undefined;
  rows: ReadyRows | undefined;
  letters: DeadLetter[];
  outcome: FileOutcome;
}

/** How a timestamp goes to the store: ISO text for PostgreSQL's COPY, epoch ms for SQLite (which stores those). */
type TimeValue = (ms: number) => string | number;

/** A checked row's time as COPY text (the reader only lets through times a Parquet or CSV file can hold, all within a Date's range). */
function isoText(ms: number): string {
  const text = isoFromEpochMs(ms);
  if (text === undefined) throw new RangeError(`time ${ms} ms is outside the range of a timestamp; the reader should have rejected its row`);
  return text;
}

/** Loads files of one folder into a store whose schema is migrated. One per process. */
export class FileLoader {
  private readonly dimensions: Dimensions;
  private readonly time: TimeValue;
  private warmed: Promise<void> | undefined;

  constructor(
    private readonly store: Store,
    private readonly dir: string,
  ) {
    this.dimensions = new Dimensions(store);
    this.time = store.name === 'pg' ? isoText : (ms) => ms;
  }


  /** Loads `file` (see {@link loadUnit}). */
  async load(file: string, known?: FileState | null): Promise<FileOutcome> {
    return (await this.loadUnit([{ file, ...(known === undefined ? {} : { state: known }) }]))[0]!;
  }

  /**
   * Loads the files of a unit in one transaction, skipping those whose checkpoint shows them loaded
   * as they are now.
   */
  async loadUnit(files: readonly UnitFile[]): Promise<FileOutcome[]> {
    await this.warm();
    const unknown = files.filter((f) => f.state === undefined).map((f) => f.file);
    const states = unknown.length > 0 ? await readStatesOf(this.store, unknown) : new Map<string, FileState>();
    const read: ReadFile[] = [];
    const skipped: FileOutcome[] = [];
    for (const { file, state: known } of files) {
      const earlier = known === undefined ? states.get(file) : (known ?? undefined);
      const stats = statSync(join(this.dir, file));
      if (unchanged(earlier, stats.size, stats.mtimeMs)) {
        skipped.push({ file, status: 'skipped', rows: 0, rejected: 0, reasons: [] });
        continue;
      }
      read.push(await this.readOne(file, earlier, { size: stats.size, mtimeMs: stats.mtimeMs }));
    }
    return [...skipped, ...(await this.commit(read))];
  }

  /** Fills the dimension cache from the store, once. */
  warm(): Promise<void> {
    return (this.warmed ??= this.dimensions.warm());
  }

  /** Commits the `source_file` rows of files about to be loaded in a few transactions (instead of one more commit per file). */
  async addFiles(files: readonly string[]): Promise<void> {
    await this.warm();
    await this.dimensions.addFiles(files);
  }

  /**
   * Reads and checks one file and resolves its rows' ids (committing new dimension rows); a file
   * bad as a whole becomes one dead letter (quarantined). The file's names are dropped here.
   */
  private async readOne(file: string, earlier: FileState | undefined, base: { size: number; mtimeMs: number }): Promise<ReadFile> {
    let read: FileRows;
    try {
      read = await readFileRows(this.dir, file);
    } catch (error) {
      if (!(error instanceof SensorFileError)) throw error;
      const letter = deadLetter(file, error.message, { file, size: base.size }, { key: file });
      const state: FileState = { ...base, rows: 0, rejected: 1, quarantined: true };
      return { file, state, earlier, rows: undefined, letters: [letter], outcome: { file, status: 'quarantined', rows: 0, rejected: 1, reasons: [error.message] } };
    }
    const rows = read.count === 0 ? undefined : await this.resolve(file, read);
    const state: FileState = { ...base, rows: read.count, rejected: read.letters.length };
    const outcome: FileOutcome = { file, status: 'loaded', rows: read.count, rejected: read.letters.length, reasons: read.letters.map((l) => l.reason) };
    return { file, state, earlier, rows, letters: read.letters, outcome };
  }

  /** A file's rows with their ids, the dimension rows committed first. */
  private async resolve(file: string, read: FileRows): Promise<ReadyRows> {
    const ids = await this.dimensions.ensure(read);
    return {
      count: read.count,
      fileId: this.dimensions.file(file),
      row: read.row === undefined ? Int32Array.from({ length: read.count }, (_, i) => i) : Int32Array.from(read.row),
      createAt: Float64Array.from(read.createAt),
      sensor: ids.sensor,
      product: ids.product,
      expire: Float64Array.from(read.expire),
    };
  }

  /**
   * The datalog rows of a unit's files, built just before the write encodes them (so they die
   * young), in file and row order: the order of the primary key, so that its index is appended to
   * densely (rows of a COPY in another order, e.g. by expiry day to spare the store's timestamp
   * formatting, left its pages ~60 % full: 135 MB for a day of files instead of 96 MB). A file's
   * rows mostly share their create_at (the file's minute): it is formatted once.
   */
  private datalogRows(files: readonly ReadFile[]): Row[] {
    let total = 0;
    for (const f of files) total += f.rows?.count ?? 0;
    const out = new Array<Row>(total);
    const time = this.time;
    let n = 0;
    for (const f of files) {
      const rows = f.rows;
      if (rows === undefined) continue;
      const { fileId, row, createAt, sensor, product, expire } = rows;
      let lastCreate = Number.NaN;
      let createText: string | number = '';
      for (let i = 0; i < rows.count; i++) {
        if (createAt[i] !== lastCreate) {
          lastCreate = createAt[i]!;
          createText = time(lastCreate);
        }
        out[n++] = { file_id: fileId, file_row: row[i]!, create_at: createText, sensor_id: sensor[i]!, product_id: product[i]!, product_expire: time(expire[i]!) };
      }
    }
    return out;
  }

  /**
   * Replaces the files' earlier rows (if any) and writes rows, dead letters and checkpoints in one
   * transaction. `added`: the files' `source_file` rows were just added after a refusal.
   */
  private async commit(files: ReadFile[], added = false): Promise<FileOutcome[]> {
    if (files.length === 0) return [];
    // A reloaded file's earlier rows are deleted in the transaction that writes its new ones.
    const reloaded = files.filter((f) => f.earlier !== undefined && f.earlier.rows > 0).map((f) => this.dimensions.file(f.file));
    const replace = reloaded.length > 0 ? { column: 'file_id', in: reloaded } : undefined;
    const deadLetters = files.flatMap((f) => f.letters);
    const checkpoints = unitCheckpoints(new Map(files.map((f) => [f.file, f.state])));
    const write = () => this.store.write({ table: 'datalog', mode: 'append', rows: this.datalogRows(files), deadLetters, checkpoints, ...(replace ? { replace } : {}) });
    try {
      await retry(write, { operation: `load ${files.length === 1 ? files[0]!.file : `${files.length} files from ${files[0]!.file}`}` });
    } catch (error) {
      // A file nobody added (its name published by other means than `load --broker`): add, write again.
      if (!added && describeError(error).includes(`"${FILE_REFERENCE}"`)) {
        await this.dimensions.addFiles(files.map((f) => f.file));
        return this.commit(files, true);
      }
      // Another worker may have loaded some of these files meanwhile (a redelivery): their rows hold the key.
      const now = await readStatesOf(this.store, files.map((f) => f.file));
      const done = files.filter((f) => unchanged(now.get(f.file), f.state.size, f.state.mtimeMs));
      if (done.length === 0) throw error;
      const rest = files.filter((f) => !done.includes(f));
      const skipped = done.map((f): FileOutcome => ({ file: f.file, status: 'skipped', rows: 0, rejected: 0, reasons: [] }));
      // The others go again without them (the failed write deleted none of their earlier rows).
      return [...skipped, ...(await this.commit(rest))];
    }
    return files.map((f) => f.outcome);
  }
}

