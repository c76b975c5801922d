/**
 * Ceiling `kafka-copy-minimal`, one process per role. `produce` sends the file's raw lines as record
 * values, 1,000 per `send` (acks: all), one send at a time. `consume` is a kafkajs consumer in a
 * group, auto-commit off: each fetched batch, 1,000 records at a time, goes through COPY + upsert
 * in one transaction, then its offset is committed, until every row is written.
 */
import kafkajs from 'kafkajs';
import { need } from '../lib/config.js';
import { lineBatches } from '../lib/lines.js';
import { MinimalPgWriter } from '../lib/pg-minimal.js';
import { runWorker } from '../lib/worker.js';

const { Kafka, Partitioners, logLevel } = kafkajs;

await runWorker('kafka-minimal', async (config) => {
  const topic = need(config, 'topic', 'kafka-minimal');
  const kafka = new Kafka({ clientId: `bench-minimal-${process.pid}`, brokers: config.kafkaBrokers.split(','), logLevel: logLevel.NOTHING });
  if (need(config, 'role', 'kafka-minimal') === 'produce') {
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    return {
      work: async () => {
        let rows = 0;
        for await (const lines of lineBatches(config.file, { batchSize: config.batchSize, limit: config.rows })) {
          await producer.send({ topic, acks: -1, messages: lines.map((value) => ({ value })) });
          rows += lines.length;
        }
        return { rows };
      },
      close: () => producer.disconnect(),
    };
  }
  const writer = await MinimalPgWriter.connect(config.pgUrl, config.schema, config.table);
  const consumer = kafka.consumer({ groupId: need(config, 'group', 'kafka-minimal') });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let rows = 0;
  let finish: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  let failure: unknown;
  void consumer
    .run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
        for (let i = 0; i < batch.messages.length && rows < config.rows; i += config.batchSize) {
          const messages = batch.messages.slice(i, i + config.batchSize);
          await writer.write(messages.map((m) => m.value!.toString()), 'merge');
          const last = messages.at(-1)!.offset;
          resolveOffset(last);
          await consumer.commitOffsets([{ topic, partition: batch.partition, offset: (BigInt(last) + 1n).toString() }]);
          await heartbeat();
          rows += messages.length;
        }
        if (rows >= config.rows) finish();
      },
    })
    .catch((error: unknown) => {
      failure = error;
      finish();
    });
  return {
    work: async (clock) => {
      await finished;
      if (failure !== undefined) throw failure;
      clock.end();
      return { rows };
    },
    close: async () => {
      await consumer.disconnect();
      await writer.close();
    },
  };
});
