/**
 * One process of a crash test: `produce` publishes an NDJSON file to a broker topic; `consume`
 * persists the topic into a PostgreSQL table. Status events are printed as JSON lines on stdout,
 * and so is each delivery a consumer takes (`{"type":"delivery","count":…,"attempt":…}`), which
 * makes redeliveries visible. Servers come from `SLUICE_REDIS_URL`, `SLUICE_KAFKA_BROKERS`,
 * `SLUICE_PG_URL`.
 * Usage: worker.ts produce|consume --broker redis|kafka --topic T [--group G --table T] [--file F]
 */
import { parseArgs } from 'node:util';
import { tap } from 'rxjs';
import { ingest, ndjsonSource, persist, serviceUrls, type Broker, type ConsumeOptions, type PipelineRun, type StatusEvent } from '@sluice/core';
import { createKafkaBroker } from '@sluice/adapter-kafka';
import { createRedisBroker } from '@sluice/adapter-redis';
import { createPgStore } from '@sluice/store-pg';
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

function connectBroker(): Broker {
  return values.broker === 'kafka'
    ? createKafkaBroker({
        brokers: serviceUrls.kafka.split(','),
        clientId: `crash-${role}-${process.pid}`,
        sessionTimeoutMs: KAFKA_SESSION_TIMEOUT_MS,
        heartbeatIntervalMs: 1000,
      })
    : createRedisBroker({ url: serviceUrls.redis });
}

const print = (line: object) => process.stdout.write(`${JSON.stringify(line)}\n`);

const report = (event: StatusEvent) => {
  if (['started', 'retry', 'done', 'failed', 'persisted', 'published', 'rejected'].includes(event.type)) print(event);
};

/** `broker`, with every delivery it hands out printed (its size and attempt) before the pipeline sees it. */
function tracingDeliveries(broker: Broker): Broker {
  return {
    name: broker.name,
    publish: (topic, envelopes) => broker.publish(topic, envelopes),
    lag: (topic, group) => broker.lag(topic, group),
    close: () => broker.close(),
    consume: <T>(topic: string, options: ConsumeOptions) =>
      broker.consume<T>(topic, options).pipe(tap((d) => print({ type: 'delivery', count: d.envelopes.length, attempt: d.attempt, at: Date.now() }))),
  };
}

const broker = tracingDeliveries(connectBroker());
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
  });
} else if (role === 'consume') {
  const store = createPgStore({ connectionString: serviceUrls.pg, poolSize: 2 });
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
