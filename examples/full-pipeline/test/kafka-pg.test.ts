/** serve → produce → Kafka → consume → PostgreSQL → report, as separate processes. */
import { requireService, serviceUrls } from '@sluice/core/testkit';
import { separateProcessesSuite } from './support/separate-processes.js';

const reachable = (await requireService('PostgreSQL', serviceUrls.pg)) && (await requireService('Kafka', serviceUrls.kafka, 'bash scripts/kafka.sh start'));
separateProcessesSuite('kafka', reachable);
