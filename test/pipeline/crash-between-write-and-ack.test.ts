/**
 * The embedded path under a crash: a consumer dies after the store committed a batch and before
 * it acked it. Another member of the group gets the batch again after the visibility timeout, the
 * upsert makes the rewrite harmless, and the table ends with every record exactly once.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { map } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { SluiceError, createMemoryBroker, generatorSource, ingest, persist, type Broker, type Delivery, type Store } from '@sluice/core';
import { createSqliteStore } from '@sluice/store-sqlite';
import { testRecord, testRecordSchema, testRecordTable } from '../support/records.js';

const N = 20_000;
const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** A broker whose consumers "die" (throw) when acking their `crashAt`-th delivery. */
function dyingOnAck(broker: Broker, crashAt: number): Broker & { crashes: number } {
  let deliveries = 0;
  const wrapper: Broker & { crashes: number } = {
    crashes: 0,
    name: broker.name,
    publish: (topic, envelopes) => broker.publish(topic, envelopes),
    lag: (topic, group) => broker.lag(topic, group),
    close: () => broker.close(),
    consume: <T>(topic: string, options: Parameters<Broker['consume']>[1]) =>
      broker.consume<T>(topic, options).pipe(
        map((delivery): Delivery<T> => {
          const n = ++deliveries;
          return {
            ...delivery,
            envelopes: delivery.envelopes,
            ack: async () => {
              if (n === crashAt) {
                wrapper.crashes++;
                throw new SluiceError('consumer killed between the store commit and the ack');
              }
              return delivery.ack();
            },
            nack: () => delivery.nack(),
          };
        }),
      ),
  };
  return wrapper;
}

async function setup(): Promise<{ broker: Broker; store: Store; count: () => Promise<{ n: number; d: number; s: number }> }> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-crash-ack-'));
  dirs.push(dir);
  const broker = createMemoryBroker();
  const store = createSqliteStore({ filename: join(dir, 'store.db') });
  await store.migrate([testRecordTable('records')]);
  await ingest({
    source: generatorSource({ name: 'gen', count: N, make: (i) => testRecord(i + 1) }),
    broker,
    topic: 'records',
    schema: testRecordSchema,
    key: (r) => `rec:${r.id}`,
  }).done;
  const count = async () => {
    const [row] = await store.query('SELECT count(*) AS n, count(DISTINCT id) AS d, sum(id) AS s FROM records');
    return { n: Number(row!.n), d: Number(row!.d), s: Number(row!.s) };
  };
  return { broker, store, count };
}

describe('a consumer that dies between write and ack', () => {
  it('leaves every record in the store exactly once after another member takes over', async () => {
    const { broker, store, count } = await setup();
    const dying = dyingOnAck(broker, 3);
    const common = { topic: 'records', group: 'g', store, table: 'records', schema: testRecordSchema, toRow: (r: object) => ({ ...r }), batchSize: 500, visibilityTimeoutMs: 300 };
    const first = persist({ ...common, broker: dying, consumer: 'first' });
    await expect(first.done).rejects.toThrow(/killed between the store commit and the ack/);
    expect(dying.crashes).toBe(1);
    const before = await count();
    expect(before.n).toBe(3 * 500); // the third batch is in the store, but unacked

    const second = persist({ ...common, broker, consumer: 'second', idleStopMs: 500 });
    const summary = await second.done;
    expect(summary.read).toBe(summary.persisted + summary.rejected);
    expect(summary.persisted).toBe(N - 2 * 500); // the unacked third batch came again
    expect(await count()).toEqual({ n: N, d: N, s: (N * (N + 1)) / 2 });
    expect(await store.readDeadLetters()).toEqual([]);
    await store.close();
  });

  it('on stop() finishes and acks what it holds, so a restart neither loses nor repeats', async () => {
    const { broker, store, count } = await setup();
    const common = { broker, topic: 'records', group: 'g', store, table: 'records', schema: testRecordSchema, toRow: (r: object) => ({ ...r }), batchSize: 500 };
    const first = persist(common);
    let persisted = 0;
    first.status$.subscribe((e) => {
      if (e.type === 'persisted' && (persisted = e.total) >= 5000) void first.stop();
    });
    const stopped = await first.done;
    expect(stopped.stopped).toBe(true);
    expect(stopped.read).toBe(stopped.persisted);
    expect((await broker.lag('records', 'g')).lag).toBe(N - stopped.persisted);

    const second = await persist({ ...common, idleStopMs: 300 }).done;
    expect(stopped.persisted + second.persisted).toBe(N); // nothing delivered twice
    expect(await count()).toEqual({ n: N, d: N, s: (N * (N + 1)) / 2 });
    await store.close();
  });
});
