/** serve → produce → Redis Streams → consume → PostgreSQL → report, as separate processes. */
import { requireService, serviceUrls } from '@sluice/core/testkit';
import { separateProcessesSuite } from './support/separate-processes.js';

const reachable = (await requireService('PostgreSQL', serviceUrls.pg)) && (await requireService('Redis', serviceUrls.redis));
separateProcessesSuite('redis', reachable);
