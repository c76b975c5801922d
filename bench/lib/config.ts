/** What the parent tells a worker process: one JSON object, passed as the worker's only argument. */

/** Settings of one worker process. Each worker reads the fields it needs (see `need`). */
export interface WorkerConfig {
  /** The trips CSV file. */
  file: string;
  /** Rows the path must land (the consumer stops once it has committed this many). */
  rows: number;
  /** Rows per batch (per transaction, per publish, per read). */
  batchSize: number;
  pgUrl: string;
  /** PostgreSQL schema of the target table. */
  schema: string;
  /** Target table (PostgreSQL or SQLite). */
  table: string;
  /** SQLite database file, for the SQLite paths. */
  sqliteFile?: string;
  redisUrl: string;
  kafkaBrokers: string;
  /** `amqp://…` of RabbitMQ, for the RabbitMQ paths. */
  rabbitmqUrl: string;
  /** Redis stream key (minimal paths) or broker topic (Sluice paths). */
  topic?: string;
  /** Consumer group. */
  group?: string;
  /** Partitions of the Kafka topic. */
  partitions?: number;
  /** `produce` or `consume` for two-process paths. */
  role?: 'produce' | 'consume';
  /** Write mode of the Sluice PostgreSQL paths. */
  mode?: 'append' | 'merge';
  /** How the minimal Redis consumer writes: COPY + upsert per batch, or one INSERT per row. */
  write?: 'copy' | 'row';
  /** The Kafka or RabbitMQ adapter's `packEnvelopes` option (Sluice Kafka and RabbitMQ paths; default off). */
  packEnvelopes?: boolean;
  /** Records read ahead at most (Sluice `maxBuffered`). */
  maxBuffered?: number;
  /** Unacked deliveries a consumer holds (Sluice `maxInFlight`). */
  maxInFlight?: number;
  /** Connections of the Sluice PostgreSQL store. */
  poolSize?: number;
}

/** The config field `name`, or an error naming the worker and the missing field. */
export function need<K extends keyof WorkerConfig>(config: WorkerConfig, name: K, worker: string): NonNullable<WorkerConfig[K]> {
  const value = config[name];
  if (value === undefined || value === null) throw new Error(`bench worker ${worker}: the config has no "${String(name)}"; the parent must set it.`);
  return value as NonNullable<WorkerConfig[K]>;
}
