/** The generator's shape (the reference data's), for several seeds, and its Parquet as another reader (DuckDB) sees it. */
import { DuckDBInstance } from '@duckdb/node-api';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { minuteName, minuteRows, parquetBytes, sensorPlan, SHAPE } from '../src/generate.js';
import { JAN1, tempDir } from './support.js';

const DAY = 86_400_000;

describe('generator', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => ({ dir, cleanup } = await tempDir()));
  afterAll(() => cleanup());

  it.each([1, 2, 12345])('seed %i: 100 departments, 1,914 slots from 1,876 sensors, each in one department', (seed) => {
    const plan = sensorPlan(seed);
    expect(plan.departments).toHaveLength(100);
    expect(plan.departments.every((d) => /^[a-z]{32}$/.test(d))).toBe(true);
    expect(plan.slots).toHaveLength(SHAPE.slots);
    const perDepartment = new Map<number, number>();
    const departmentOf = new Map<string, number>();
    for (const slot of plan.slots) {
      perDepartment.set(slot.department, (perDepartment.get(slot.department) ?? 0) + 1);
      expect(departmentOf.get(slot.sensor) ?? slot.department).toBe(slot.department);
      departmentOf.set(slot.sensor, slot.department);
      expect(slot.sensor).toMatch(/^[a-z]{64}$/);
    }
    expect([...perDepartment.values()].every((n) => n >= 5 && n <= 29)).toBe(true);
    expect(departmentOf.size).toBe(SHAPE.sensors);
    const repeats = new Map<string, number>();
    for (const slot of plan.slots) repeats.set(slot.sensor, (repeats.get(slot.sensor) ?? 0) + 1);
    expect([...repeats.values()].filter((n) => n > 1).length).toBeGreaterThan(20);
    expect(plan.products).toHaveLength(1000);
    expect(new Set(plan.products).size).toBe(1000);
    expect(plan.products.every((p) => /^[a-z]{16}$/.test(p))).toBe(true);
    expect(sensorPlan(seed)).toEqual(plan);
  });

  it('writes create_at as the minute and product_expire 87 to 89 days later, INT64 nanoseconds that DuckDB reads as TIMESTAMP_NS', async () => {
    const rows = minuteRows(sensorPlan(1), 1, JAN1 + 7 * 60_000);
    expect(rows.every((r) => r.create_at === JAN1 + 7 * 60_000 && r.product_expire >= r.create_at + 87 * DAY && r.product_expire <= r.create_at + 89 * DAY)).toBe(true);
    const path = join(dir, `${minuteName(JAN1 + 7 * 60_000)}.parquet`);
    await writeFile(path, parquetBytes(rows));
    const duck = await DuckDBInstance.create(':memory:');
    const connection = await duck.connect();
    try {
      const types = (await connection.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet('${path}')`)).getRowObjects();
      expect(types.map((t) => [t.column_name, t.column_type])).toEqual([
        ['department_name', 'VARCHAR'],
        ['sensor_serial', 'VARCHAR'],
        ['create_at', 'TIMESTAMP_NS'],
        ['product_name', 'VARCHAR'],
        ['product_expire', 'TIMESTAMP_NS'],
      ]);
      const [stats] = (
        await connection.runAndReadAll(
          `SELECT COUNT(*)::INTEGER AS n, COUNT(DISTINCT sensor_serial)::INTEGER AS sensors, MIN(create_at)::VARCHAR AS at, SUM(epoch_ns(product_expire))::VARCHAR AS expire FROM read_parquet('${path}')`,
        )
      ).getRowObjects();
      expect(stats).toEqual({
        n: 1914,
        sensors: 1876,
        at: '2023-01-01 00:07:00',
        expire: String(rows.reduce((sum, r) => sum + BigInt(r.product_expire) * 1_000_000n, 0n)),
      });
    } finally {
      connection.closeSync();
      duck.closeSync();
    }
  });
});
