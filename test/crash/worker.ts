/**
 * One process of a crash test: `produce` publishes an NDJSON file to a broker topic; `consume`
 * persists the topic into a PostgreSQL table. Status events are printed as JSON lines on stdout.
 * Usage: worker.ts produce|consume --broker redis|kafka --topic T [--group G --table T] [--file F]
 */
import { parseArgs } from 'node:util';
import { ingest, ndjsonSource, persist, serviceUrls, type Broker, type PipelineRun, type StatusEvent } from '@sluice/core';
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

function connectBroker(): Broker {
  return values.broker === 'kafka'
    ? createKafkaBroker({ brokers: serviceUrls.kafka.split(','), clientId: `crash-${role}-${process.pid}` })
    : createRedisBroker({ url: serviceUrls.redis });
}

const report = (event: StatusEvent) => {
  if (['started', 'retry', 'done', 'failed', 'persisted', 'published', 'rejected'].includes(event.type)) {
    process.stdout.write(`${JSON.stringify(event)}\n`);
  }
};

const broker = connectBroker();
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
