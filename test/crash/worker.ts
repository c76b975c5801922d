/**
 * One process of a crash test: `produce` publishes an NDJSON file to a broker topic; `consume`
 * persists the topic into a PostgreSQL table. Status events are printed as JSON lines on stdout,
 * and so is each delivery a consumer takes (`{"type":"delivery","count":…,"attempt":…}`), which
 * makes redeliveries visible. Servers come from `SLUICE_REDIS_URL`, `SLUICE_KAFKA_BROKERS`,
 * `SLUICE_RABBITMQ_URL`, `SLUICE_PG_URL`. `--kill-before-ack N` makes a consumer SIGKILL itself when
 * it is about to ack its N-th delivery: after the store committed it, before the broker knows.
 * Usage: worker.ts produce|consume --broker redis|kafka|rabbitmq --topic T [--group G --table T] [--file F]
 */
import { parseArgs } from 'node:util';
import { map, tap } from 'rxjs';
import { ingest, ndjsonSource, persist, serviceUrls, type Broker, type ConsumeOptions, type PipelineRun, type StatusEvent } from '@sluice/core';
import { openBroker, openStore } from '@sluice/runtime';
import { testRecordSchema, testRecordTable, type TestRecord } from '../support/records.js';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    broker: { type: 'string', default: 'redis' },
    topic: { type: 'string' },
    group: { type: 'string', default: 'crash' },
    table: { type: 'string' },
    file: { type: 'string' },
    consumer: { type: 'string' },
    'kill-before-ack': { type: 'string' },
  },
});
const role = positionals[0];
const topic = values.topic ?? fail('--topic is required');

function fail(message: string): never {
  console.error(message);
  process.exit(2);
}

/**
 * Kafka drops a silent member after its session timeout and only then hands its partitions to the
 * others; kafkajs's default of 30 s would make every SIGKILL stall the run that long.
 */
const KAFKA_SESSION_TIMEOUT_MS = 8000;

/** The broker by its short name (`redis`, `kafka`, `rabbitmq`: URLs from the environment), with crash-test settings. */
function connectBroker(): Promise<Broker> {
  return openBroker(values.broker, {
    clientId: `crash-${role}-${process.pid}`,
    kafka: { sessionTimeoutMs: KAFKA_SESSION_TIMEOUT_MS, heartbeatIntervalMs: 1000 },
    rabbitmq: {
      // The producer declares the group's queue: what it publishes before the consumers are up is kept.
      groups: [values.group!],
      heartbeatSeconds: 5,
      // Reconnects of a consumer are `retry` events, as a pipeline's status would show them.
      onRetry: (notice) =>
        print({ type: 'retry', operation: notice.operation, attempt: notice.attempt, delayMs: notice.delayMs, error: String(notice.error), at: Date.now() }),
    },
  });
}

const print = (line: object) => process.stdout.write(`${JSON.stringify(line)}\n`);

const report = (event: StatusEvent) => {
  if (['started', 'retry', 'done', 'failed', 'persisted', 'published', 'rejected'].includes(event.type)) print(event);
};

const killBeforeAck = values['kill-before-ack'] === undefined ? undefined : Number(values['kill-before-ack']);
let handedOut = 0;

/**
 * `broker`, with every delivery it hands out printed (its size and attempt) before the pipeline sees
 * it; with `--kill-before-ack N` the N-th delivery's ack SIGKILLs the process instead.
 */
function tracingDeliveries(broker: Broker): Broker {
  return {
    name: broker.name,
    publish: (topic, envelopes) => broker.publish(topic, envelopes),
    lag: (topic, group) => broker.lag(topic, group),
    close: () => broker.close(),
    consume: <T>(topic: string, options: ConsumeOptions) =>
      broker.consume<T>(topic, options).pipe(
        tap((d) => print({ type: 'delivery', count: d.envelopes.length, attempt: d.attempt, at: Date.now() })),
        map((d) => {
          if (++handedOut !== killBeforeAck) return d;
          const ack = () => {
            print({ type: 'kill-before-ack', count: d.envelopes.length, at: Date.now() });
            process.kill(process.pid, 'SIGKILL');
            return new Promise<void>(() => undefined);
          };
          return { ...d, envelopes: d.envelopes, attempt: d.attempt, ack, nack: () => d.nack() };
        }),
      ),
  };
}

const broker = tracingDeliveries(await connectBroker());
/**
 * A RabbitMQ application restart (`stop_app`, `start_app`) keeps the port closed while the node
 * recovers its quorum queues: 35 s was seen on a loaded machine, far past the default budget's
 * ~6–13 s of waiting. Give the pipelines about a minute, as the adapter's own consumers have.
 */
const retry = values.broker === 'rabbitmq' ? { retry: { maxAttempts: 20, maxDelayMs: 5000 } } : {};
let run: PipelineRun;
let close = () => broker.close();
if (role === 'produce') {
  run = ingest<TestRecord>({
    source: ndjsonSource({ path: values.file ?? fail('--file is required') }),
    broker,
    topic,
    schema: testRecordSchema,
    key: (r) => `rec:${r.id}`,
    batchSize: 1000,
    handleSignals: true,
    ...retry,
  });
} else if (role === 'consume') {
  const store = await openStore(serviceUrls.pg, { pg: { poolSize: 2 } });
  const table = values.table ?? fail('--table is required');
  await store.migrate([testRecordTable(table)]);
  close = async () => {
    await broker.close();
    await store.close();
  };
  run = persist<TestRecord>({
    broker,
    topic,
    group: values.group!,
    ...(values.consumer ? { consumer: values.consumer } : {}),
    store,
    table,
    schema: testRecordSchema,
    toRow: (r) => r,
    batchSize: 1000,
    visibilityTimeoutMs: 3000,
    handleSignals: true,
    ...retry,
  });
} else {
  fail(`unknown role "${String(role)}": use produce or consume`);
}
run.status$.subscribe(report);
try {
  await run.done;
  await close();
  process.exit(0);
} catch (error) {
  console.error(error);
  process.exit(1);
}
