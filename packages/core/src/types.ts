/**
 * The contracts of Sluice: Source → Broker → Store, and the status events a pipeline emits.
 * Every adapter implements one of these interfaces; nothing in core depends on an adapter.
 */
import type { Observable } from 'rxjs';

// ───────────────────────────── Envelope ─────────────────────────────

/** String headers carried beside a value through a broker (trace ids, content type, source name). */
export type Headers = Record<string, string>;

/** What travels through a broker. */
export interface Envelope<T = unknown> {
  /**
   * The record's natural identity, e.g. `metric:<id>:<time>`. Brokers keep envelopes of one key in
   * publish order (Kafka partitions by it) and stores upsert on it, which makes writes idempotent.
   */
  key: string;
  /** The payload; it must survive `JSON.stringify` / `JSON.parse` unchanged. */
  value: T;
  /** Event time in milliseconds since the Unix epoch. */
  timestamp: number;
  /** Free-form string metadata. */
  headers: Headers;
}

// ───────────────────────────── Source ─────────────────────────────

/**
 * Where a record sits in its source, so a pipeline can checkpoint and resume. JSON-serialisable;
 * a source fills in what it knows. `read(position)` resumes with the first record *after* it.
 */
export interface Position {
  /** Byte offset just past the record, for file sources. */
  offset?: number;
  /** 1-based line number of the record (NDJSON, CSV), for messages that people read. */
  line?: number;
  /** 0-based index of the record among everything the source has yielded from its start. */
  index?: number;
  /** Opaque resume cursor for sources that are not files (HTTP `since`, generator seed state). */
  cursor?: string;
}

/** A record read from a source. */
export interface SourceValue<T> {
  kind: 'record';
  value: T;
  position: Position;
  /**
   * The record's exact bytes, when the source was asked to keep them (`csvSource({ keepRaw })`, `ndjsonSource({ keepRaw })`):
   * the dead letter of a record the pipeline's schema refuses keeps these instead of the parsed value.
   */
  raw?: Uint8Array;
}

/** Input the source could not turn into a record; the pipeline sends it to the dead letters. */
export interface SourceReject {
  kind: 'reject';
  /** Why the input was refused, e.g. `unterminated string`. */
  reason: string;
  /** The offending raw text, cut to a readable length. */
  raw: string;
  /** The offending input's exact bytes, when the source has them: its dead letter keeps these. */
  bytes?: Uint8Array;
  position: Position;
}

/** One item of a source's stream: a record or a rejection. Reading goes on after a rejection. */
export type SourceRecord<T> = SourceValue<T> | SourceReject;

/**
 * Flow control a pipeline hands to a source. A source awaits `ready()` between chunks and emits
 * nothing while it is pending, so a slow downstream stalls the read instead of growing memory.
 */
export interface FlowControl {
  /** Resolves when the downstream can take more records; `undefined` means "go on at once". */
  ready(): Promise<void> | undefined;
}

/** Options of one read. */
export interface ReadOptions {
  /** Backpressure from the pipeline; without it the source reads as fast as it can. */
  flow?: FlowControl;
}

/** A finite or endless stream of records that can resume from a position. */
export interface Source<T = unknown> {
  /** Stable name, used as the checkpoint stream id and in status events and dead letters. */
  readonly name: string;
  /**
   * Reads records, starting after `from` (or at the beginning). The observable is cold: each
   * subscription reads anew; unsubscribing releases files and sockets. It completes at the end
   * of a finite source and errors only on failures that make reading impossible (a missing
   * file, a lost connection); malformed input is emitted as a `reject` and reading goes on.
   */
  read(from?: Position, options?: ReadOptions): Observable<SourceRecord<T>>;
}

// ───────────────────────────── Broker ─────────────────────────────

/** A batch handed to one consumer of a group, to be acknowledged once it is safely stored. */
export interface Delivery<T = unknown> {
  readonly topic: string;
  /** The envelopes in broker order; envelopes of one key keep their publish order. */
  readonly envelopes: readonly Envelope<T>[];
  /** How many times (1-based) the broker has handed out the oldest envelope of this batch. */
  readonly attempt: number;
  /**
   * Marks every envelope of the batch as processed for the group. Call it only after the store
   * has committed them (at-least-once). Resolves when the broker has recorded the ack.
   */
  ack(): Promise<void>;
  /**
   * Gives the batch back: the broker redelivers it to the group (to this or another consumer)
   * without waiting for the visibility timeout.
   */
  nack(): Promise<void>;
}

/** How a consumer joins a topic. */
export interface ConsumeOptions {
  /** Consumer group: members of one group share the topic, each envelope goes to one member. */
  group: string;
  /** This member's name within the group; defaults to a random unique name. */
  consumer?: string;
  /** Most envelopes per delivery (default 500). */
  batchSize?: number;
  /**
   * Most unacknowledged deliveries this consumer holds at once (default 2). The broker fetches
   * more only when one is acked or nacked: this is the consumer side of backpressure.
   */
  maxInFlight?: number;
  /**
   * Milliseconds after which envelopes handed out but not acked are redelivered to the group
   * (a crashed or stuck consumer). Default 30 000.
   */
  visibilityTimeoutMs?: number;
  /** Where a new group starts: the oldest retained envelope (default) or only new ones. */
  fromBeginning?: boolean;
}

/** How far a group is behind a topic. */
export interface LagInfo {
  topic: string;
  group: string;
  /** Envelopes published but not yet acked by the group (pending plus not yet delivered). */
  lag: number;
}

/** A durable, at-least-once message broker with consumer groups. */
export interface Broker {
  /** Adapter name, e.g. `memory`, `redis`, `kafka`. */
  readonly name: string;
  /**
   * Appends envelopes to a topic (created on first use). Resolves only when the broker has durably
   * accepted the whole batch; rejects with a `BrokerError` (retriable when a retry may succeed).
   */
  publish<T>(topic: string, envelopes: readonly Envelope<T>[]): Promise<void>;
  /**
   * Joins `options.group` on `topic` and yields deliveries until unsubscribed. Unsubscribing
   * leaves unacked deliveries to be redelivered after the visibility timeout; it does not ack.
   */
  consume<T>(topic: string, options: ConsumeOptions): Observable<Delivery<T>>;
  /** The group's lag on the topic. */
  lag(topic: string, group: string): Promise<LagInfo>;
  /** Releases connections. Pending deliveries stay unacked (and will be redelivered). */
  close(): Promise<void>;
}

// ───────────────────────────── Store ─────────────────────────────

/** Column types every store maps to its engine's types. */
export type ColumnType = 'text' | 'integer' | 'bigint' | 'real' | 'boolean' | 'timestamp' | 'json';

/** One column of a table. */
export interface ColumnSpec {
  name: string;
  type: ColumnType;
  /** Whether NULL is allowed (default false; key columns are never nullable). */
  nullable?: boolean;
}

/**
 * How a batch lands in its table: `merge` upserts on the key (idempotent: writing the same batch
 * twice leaves the same rows); `append` bulk-loads rows known to be new (fastest, not idempotent).
 */
export type WriteMode = 'merge' | 'append';

/** A table the store manages. Names come from configuration and are quoted safely by adapters. */
export interface TableSpec {
  name: string;
  columns: readonly ColumnSpec[];
  /** The natural key: column names whose values identify a row. */
  key: readonly string[];
  /** Default write mode of the table (default `merge`). */
  mode?: WriteMode;
  /**
   * Column lists whose values no two rows share, besides the key: a UNIQUE index each (a
   * dimension's surrogate id, say). A write that would break one fails as a whole.
   */
  unique?: readonly (readonly string[])[];
  /** References to other tables, enforced by the store (see {@link ForeignKey}). */
  foreignKeys?: readonly ForeignKey[];
}

/**
 * A reference from columns of one table to the key, or a `unique` column list, of another table
 * given in the same `migrate` call. A row whose columns are all non-null must find its referenced
 * row (a NULL in any of them makes the reference empty, as in SQL); deleting a referenced row, or
 * changing its referenced columns, is refused while a row references it.
 */
export interface ForeignKey {
  /** Columns of this table, in the order of `references.columns`. */
  columns: readonly string[];
  /** The referenced table and columns (of the same types). */
  references: { table: string; columns: readonly string[] };
  /**
   * When new rows are checked. `row` (default): row by row, as the engine checks a declared foreign
   * key. `statement`: once per statement, over the distinct values it wrote: for bulk loads, where a
   * lookup per row would cost more than the write (PostgreSQL: a statement trigger over the
   * statement's new rows). SQLite checks both kinds row by row (an in-process index probe).
   */
  check?: 'row' | 'statement';
}

/** A row: column name → value (string, number, bigint, boolean, Date, null, or JSON for `json`). */
export type Row = Record<string, unknown>;

/** A record that could not be processed, kept with its reason instead of being dropped. */
export interface DeadLetter {
  /** Source or topic the record came from. */
  origin: string;
  /** Position in the source, when known. */
  position?: Position;
  /** Envelope key, when known. */
  key?: string;
  /** What was wrong, e.g. `val: expected number, received string`. */
  reason: string;
  /** The raw input as text (JSON for parsed values), or its bytes in base64 when `encoding` says so. */
  payload: string;
  /**
   * How `payload` holds the input: `utf8` (default) is the text itself; `base64` holds the exact
   * bytes of input that is not valid UTF-8 (or holds U+0000, which PostgreSQL text cannot keep),
   * so the record can always be replayed as it came.
   */
  encoding?: 'utf8' | 'base64';
  /** Milliseconds since the epoch when it was rejected. */
  at: number;
}

/** A source position saved under a stream name, committed with the rows it covers. */
export interface Checkpoint {
  /** Usually the source's `name`. */
  stream: string;
  position: Position;
}

/** One atomic write: rows, the rows they replace, dead letters and checkpoints land together or not at all. */
export interface WriteBatch {
  /**
   * Target table. Required when `rows` is non-empty; a batch of only dead letters and/or a
   * checkpoint (e.g. a producer saving its cursor) leaves it out and touches no data table.
   */
  table?: string;
  rows: readonly Row[];
  /** Overrides the table's default mode for this batch. */
  mode?: WriteMode;
  /** Records of the same batch that were rejected; written in the same transaction. */
  deadLetters?: readonly DeadLetter[];
  /** Source position covered by this batch; written in the same transaction. */
  checkpoint?: Checkpoint;
  /**
   * More positions written in the same transaction, for a batch that covers several streams (a
   * unit of several files, each resuming on its own). Written as `checkpoint` is; a stream may
   * appear only once among `checkpoint` and these, or the batch is refused.
   */
  checkpoints?: readonly Checkpoint[];
  /**
   * Rows this batch replaces: in the same transaction, before its rows are written, the rows of
   * `table` whose `column` equals one of `in` are deleted (a reloaded file replacing its earlier
   * rows, with no moment at which a reader sees neither). Needs `table`; `rows` may be empty.
   * Values are given as they would be in a row of that column; at most 100,000 of them.
   */
  replace?: Replace;
}

/** The rows a batch replaces: see {@link WriteBatch.replace}. */
export interface Replace {
  /** A column of the batch's table. */
  column: string;
  /** The values whose rows are deleted. */
  in: readonly unknown[];
}

/** Which checkpoints `Store.readCheckpoints` reads: these streams, or every stream whose name starts with `prefix`. */
export type CheckpointSelector = readonly string[] | { prefix: string };

/** What a write did. */
export interface WriteResult {
  /** Rows handed in (after de-duplication of equal keys within the batch, the last one wins). */
  written: number;
  deadLetters: number;
}

/** Options of `Store.stream`. */
export interface StreamOptions {
  /**
   * Most rows per chunk: an integer from 1 to 1,000,000 (default 1000). The memory a stream holds
   * is about one chunk, whatever the size of the result.
   */
  chunkSize?: number;
}

/** A transactional sink with upserts, checkpoints, dead letters and SQL reads. */
export interface Store {
  /** Adapter name, e.g. `sqlite`, `pg`. */
  readonly name: string;
  /**
   * Creates the tables (and the store's own checkpoint, dead-letter and migration tables) if they
   * do not exist. Idempotent; safe to call from several processes.
   */
  migrate(tables: readonly TableSpec[]): Promise<void>;
  /** Writes one batch in one transaction. On failure nothing of it is visible, checkpoint included. */
  write(batch: WriteBatch): Promise<WriteResult>;
  /**
   * Optional: does the CPU work of a later `write(batch)` now (checking and encoding the rows),
   * so that a pipeline can prepare batch k + 1 while batch k is still in the database. A later
   * `write` of the same batch object reuses that work; the batch must not be changed in between.
   * Never throws and touches no connection: a batch it cannot encode is left for `write` to
   * refuse, with the same error as without `prepare`.
   */
  prepare?(batch: WriteBatch): void;
  /** The last committed position of a stream, or `undefined` if none. */
  readCheckpoint(stream: string): Promise<Position | undefined>;
  /**
   * The last committed positions of several streams in one read: of the streams named (streams
   * without a checkpoint are left out of the map), or of every stream whose name starts with
   * `prefix` (matched literally: `%` and `_` are plain characters).
   */
  readCheckpoints(which: CheckpointSelector): Promise<Map<string, Position>>;
  /** Dead letters in the order they were written (optionally of one origin). */
  readDeadLetters(origin?: string): Promise<DeadLetter[]>;
  /** Runs a read query with positional parameters (`?` for SQLite, `$1` for PostgreSQL). */
  query<R extends Row = Row>(sql: string, params?: readonly unknown[]): Promise<R[]>;
  /**
   * Runs a read query (a `SELECT`, `WITH … SELECT` or `VALUES`, parameters as in `query`) and yields
   * its rows in chunks of at most `chunkSize` rows, in the query's order, for results too large to
   * hold: no caller ever holds more than a chunk. Pull-based: a chunk is fetched only when the
   * consumer asks for the next one, so a slow consumer holds the read, never more rows.
   *
   * Nothing runs until iteration starts; each iteration runs the query anew. The rows are those of
   * one snapshot taken when the first chunk is asked for: writes made while a stream is open (by
   * this store or others) do not show in it, and are not blocked by it once it has started.
   * PostgreSQL reads through a server-side cursor (`DECLARE … FETCH`) on a pooled connection held
   * for the stream's life; SQLite copies the result into a temporary table on disk, read back in
   * `rowid` ranges (so duplicate result column names come back as `name:1`, not merged).
   *
   * Leaving the loop early (`break`, `return`, an exception in the loop body) releases the cursor
   * and its connection at once; so does the end of the rows. A stream abandoned without either
   * holds them until `close()`. Failures (bad SQL, a lost connection, a closed store, a bad
   * `chunkSize`) reject the `next()` that met them with a `StoreError` or `ConfigError`, and the
   * stream is over.
   */
  stream<R extends Row = Row>(sql: string, params?: readonly unknown[], options?: StreamOptions): AsyncIterable<R[]>;
  /** Closes connections; further calls reject. */
  close(): Promise<void>;
}

/** Where rejected records go: a store's dead-letter table or a broker topic. */
export interface DeadLetterSink {
  /** Name for status events and logs, e.g. `store:sqlite` or `topic:metrics.dead-letters`. */
  readonly name: string;
  /** Durably records the letters; resolves once they are stored. */
  write(letters: readonly DeadLetter[]): Promise<void>;
}

// ───────────────────────────── Status ─────────────────────────────

/** Fields every status event carries. */
export interface StatusBase {
  /** Name of the pipeline that emitted it. */
  pipeline: string;
  /** Milliseconds since the epoch. */
  at: number;
}

/** Progress and fault events; a CLI draws them, an HTTP endpoint pushes them as SSE. */
export type StatusEvent = StatusBase &
  (
    | { type: 'started' }
    /** Records read from a source or taken from a broker (`total` is the running sum). */
    | { type: 'read'; count: number; total: number; position?: Position }
    /** Envelopes durably accepted by the broker. */
    | { type: 'published'; count: number; total: number }
    /** Rows committed to the store. */
    | { type: 'persisted'; count: number; total: number }
    /** Records sent to the dead letters. */
    | { type: 'rejected'; count: number; total: number; reason: string; position?: Position }
    /** Consumer lag of a group. */
    | { type: 'lag'; topic: string; group: string; lag: number }
    /** A transient failure that is being retried. */
    | { type: 'retry'; operation: string; attempt: number; delayMs: number; error: string }
    /** The pipeline finished; `read = persisted + rejected` (or `published + rejected` for ingest). */
    | { type: 'done'; summary: PipelineSummary }
    /** The pipeline stopped on an error it could not recover from. */
    | { type: 'failed'; error: string; retriable: boolean; summary: PipelineSummary }
  );

/** The counts a pipeline ends with. */
export interface PipelineSummary {
  read: number;
  published: number;
  persisted: number;
  rejected: number;
  /** Whether the run was cut short by `stop()` or a signal rather than reaching the end. */
  stopped: boolean;
  /** Last committed source position, when the pipeline checkpoints. */
  position?: Position;
}

/** A running pipeline. */
export interface PipelineRun {
  /** Progress events; replays the latest `read` state to late subscribers is not guaranteed. */
  readonly status$: Observable<StatusEvent>;
  /** Resolves with the summary when the pipeline ends; rejects with the error that failed it. */
  readonly done: Promise<PipelineSummary>;
  /** Stops reading, drains and acks in-flight work, then resolves `done`. */
  stop(): Promise<PipelineSummary>;
}
