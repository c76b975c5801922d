// Exits 0 when the Kafka broker at argv[2] (host:port) answers a metadata request, 1 when it does
// not (yet), 3 when kafkajs is not installed (then kafka.sh asks with Kafka's own tool).
import { createRequire } from 'node:module';

const broker = process.argv[2] ?? '127.0.0.1:9092';
let Kafka;
try {
  const require = createRequire(new URL('../../packages/adapter-kafka/package.json', import.meta.url));
  ({ Kafka } = require('kafkajs'));
} catch {
  process.exit(3);
}
const admin = new Kafka({ clientId: 'sluice-ready', brokers: [broker], logLevel: 0, connectionTimeout: 2000, retry: { retries: 0 } }).admin();
let code = 1;
try {
  await admin.connect();
  await admin.listTopics();
  code = 0;
} catch (error) {
  console.error(String(error));
} finally {
  await admin.disconnect().catch(() => {});
}
process.exit(code);
