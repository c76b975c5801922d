/**
 * Parquet files for the tests, written at test time by two independent writers: hyparquet-writer
 * (JavaScript) and DuckDB (C++, through @duckdb/node-api), plus an INT96 fixture built by hand
 * because neither writer emits INT96 any more (see {@link int96Parquet}).
 */
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import type { SampleRecord } from '@sluice/core/testkit';
import { parquetMetadata } from 'hyparquet';
import { ByteWriter, parquetWriteBuffer } from 'hyparquet-writer';
import { writeMetadata } from 'hyparquet-writer/src/metadata.js';

/** The sample records of the source contract as a Parquet file written by hyparquet-writer. */
export function sampleByHyparquet(records: readonly SampleRecord[], rowGroupSize = 700): Uint8Array {
  return new Uint8Array(
    parquetWriteBuffer({
      rowGroupSize,
      columnData: [
        { name: 'id', data: records.map((r) => Number(r.id)), type: 'INT32', nullable: false },
        { name: 'name', data: records.map((r) => r.name), type: 'STRING', nullable: false },
        { name: 'val', data: records.map((r) => r.val), type: 'DOUBLE', nullable: false },
      ],
    }),
  );
}

let duck: Promise<{ instance: DuckDBInstance; connection: DuckDBConnection }> | undefined;

/** A shared in-memory DuckDB connection; {@link closeDuckDb} releases it. */
export function duckDb(): Promise<DuckDBConnection> {
  duck ??= (async () => {
    const instance = await DuckDBInstance.create(':memory:');
    return { instance, connection: await instance.connect() };
  })();
  return duck.then((d) => d.connection);
}

/** Closes the shared DuckDB connection, if one was opened. */
export async function closeDuckDb(): Promise<void> {
  if (!duck) return;
  const { instance, connection } = await duck;
  duck = undefined;
  connection.closeSync();
  instance.closeSync();
}

/** `text` as a SQL string literal. */
export function sqlString(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

let tables = 0;

/** Writes the sample records to `path` with DuckDB (appender into a table, then `COPY … TO` Parquet). */
export async function sampleByDuckDb(records: readonly SampleRecord[], path: string, rowGroupSize = 2048): Promise<void> {
  const connection = await duckDb();
  const table = `sample_${process.pid}_${++tables}`;
  await connection.run(`CREATE TABLE ${table} (id INTEGER NOT NULL, name VARCHAR NOT NULL, val DOUBLE NOT NULL)`);
  try {
    const appender = await connection.createAppender(table);
    for (const record of records) {
      appender.appendInteger(Number(record.id));
      appender.appendVarchar(record.name);
      appender.appendDouble(record.val);
      appender.endRow();
    }
    appender.closeSync();
    await connection.run(`COPY (SELECT * FROM ${table} ORDER BY id) TO ${sqlString(path)} (FORMAT parquet, ROW_GROUP_SIZE ${rowGroupSize})`);
  } finally {
    await connection.run(`DROP TABLE ${table}`);
  }
}

/** Runs `sql` on the shared DuckDB connection and returns its rows as objects. */
export async function duckRows(sql: string): Promise<Record<string, unknown>[]> {
  const reader = await (await duckDb()).runAndReadAll(sql);
  return reader.getRowObjects() as Record<string, unknown>[];
}

const NANOS_PER_DAY = 86_400_000_000_000n;
const JULIAN_EPOCH_DAY = 2_440_588n;

/** The 12 bytes of an INT96 timestamp: nanoseconds of the day (uint64 LE), then the Julian day (uint32 LE). */
export function int96Bytes(epochNanos: bigint): Uint8Array {
  let days = epochNanos / NANOS_PER_DAY;
  if (epochNanos % NANOS_PER_DAY < 0n) days -= 1n;
  const bytes = new Uint8Array(12);
  const view = new DataView(bytes.buffer);
  view.setBigUint64(0, epochNanos - days * NANOS_PER_DAY, true);
  view.setUint32(8, Number(days + JULIAN_EPOCH_DAY), true);
  return bytes;
}

/**
 * A Parquet file with an INT96 timestamp column `t` (nullable) beside an INT32 `id`. Neither test
 * writer emits INT96 (DuckDB writes INT64 timestamps, hyparquet-writer cannot encode INT96), so it is
 * built from parts: hyparquet-writer writes the 12-byte values as an uncompressed, PLAIN-encoded
 * FIXED_LEN_BYTE_ARRAY(12) column — byte for byte what a PLAIN INT96 page holds — and the footer is
 * then rewritten with the column typed INT96, as Spark and Impala write it. DuckDB reading the
 * result back (in the test) shows that it is a valid INT96 file.
 */
export function int96Parquet(values: readonly (bigint | null)[]): Uint8Array {
  const buffer = parquetWriteBuffer({
    codec: 'UNCOMPRESSED',
    statistics: false,
    rowGroupSize: 1000,
    columnData: [
      { name: 'id', data: values.map((_, k) => k) },
      { name: 't', data: values.map((v) => (v === null ? null : int96Bytes(v))), encoding: 'PLAIN' },
    ],
    schema: [
      { name: 'root', num_children: 2 },
      { name: 'id', type: 'INT32', repetition_type: 'REQUIRED' },
      { name: 't', type: 'FIXED_LEN_BYTE_ARRAY', type_length: 12, repetition_type: 'OPTIONAL' },
    ],
  });
  const bytes = new Uint8Array(buffer);
  const metadata = parquetMetadata(bytes);
  const footerStart = bytes.length - 8 - metadata.metadata_length;
  for (const element of metadata.schema) {
    if (element.name === 't') {
      element.type = 'INT96';
      delete element.type_length;
    }
  }
  for (const group of metadata.row_groups) {
    for (const column of group.columns) {
      if (column.meta_data?.path_in_schema[0] === 't') column.meta_data.type = 'INT96';
    }
  }
  // writeMetadata appends the footer's length after it; the magic closes the file.
  const footer = new ByteWriter();
  writeMetadata(footer, metadata as unknown as Parameters<typeof writeMetadata>[1]);
  const footerBytes = new Uint8Array(footer.getBuffer());
  const out = new Uint8Array(footerStart + footerBytes.length + 4);
  out.set(bytes.subarray(0, footerStart), 0);
  out.set(footerBytes, footerStart);
  out.set(new TextEncoder().encode('PAR1'), out.length - 4);
  return out;
}
