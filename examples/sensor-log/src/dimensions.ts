/**
 * Dimension ids through an in-memory cache. Names met for the first time are upserted (merge on
 * the name, one transaction per table, sorted so that concurrent writers take row locks in the
 * same order and cannot deadlock) before any datalog row refers to them, so every datalog row
 * references a committed dimension row. Ids are hashes of the names (`dimensionId`): several
 * processes meeting the same new name at once write the same row.
 */
import type { Store } from '@sluice/core';
import { dimensionId } from './schema.js';

/** The dimension names of one row. */
export interface RowNames {
  department_name: string;
  sensor_serial: string;
  product_name: string;
}

/** Ids resolved for a file's rows. */
export interface DimensionIds {
  sensor: (serial: string) => number;
  product: (name: string) => number;
}

/** The cache of one process; `ensure` is serialised, so concurrent files never race within a process. */
export class Dimensions {
  private readonly departments = new Map<string, number>();
  /** serial → { id, department id }: a sensor seen in another department is upserted again. */
  private readonly sensors = new Map<string, { id: number; department: number }>();
  private readonly products = new Map<string, number>();
  private readonly files = new Map<string, number>();
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly store: Store) {}

  /** Upserts the names of `rows` not committed yet, and returns their ids. */
  ensure(rows: readonly RowNames[]): Promise<DimensionIds> {
    const run = this.queue.then(() => this.upsertNew(rows));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * Fills the cache with the dimension rows already committed (a few thousand names; the file
   * names of a month are 43,201), so a new process upserts only names that are really new.
   */
  async warm(): Promise<void> {
    const text = (v: unknown) => String(v);
    for (const row of await this.store.query<{ name: unknown; id: unknown }>('SELECT name, id FROM department')) this.departments.set(text(row.name), Number(row.id));
    for (const row of await this.store.query<{ serial: unknown; id: unknown; department_id: unknown }>('SELECT serial, id, department_id FROM sensor')) {
      this.sensors.set(text(row.serial), { id: Number(row.id), department: Number(row.department_id) });
    }
    for (const row of await this.store.query<{ name: unknown; id: unknown }>('SELECT name, id FROM product')) this.products.set(text(row.name), Number(row.id));
    for (const row of await this.store.query<{ name: unknown; id: unknown }>('SELECT name, id FROM source_file')) this.files.set(text(row.name), Number(row.id));
  }

  /** Upserts the `source_file` rows of files about to be loaded, in one transaction per 5,000, instead of one per file. */
  async addFiles(names: readonly string[]): Promise<void> {
    const rows = names.filter((name) => !this.files.has(name)).sort().map((name) => ({ name, id: dimensionId('source_file', name) }));
    for (let i = 0; i < rows.length; i += 5000) await this.store.write({ table: 'source_file', mode: 'merge', rows: rows.slice(i, i + 5000) });
    for (const row of rows) this.files.set(row.name, row.id);
  }

  /** The id of a source file, its row committed. */
  async file(name: string): Promise<number> {
    const known = this.files.get(name);
    if (known !== undefined) return known;
    const id = dimensionId('source_file', name);
    await this.store.write({ table: 'source_file', mode: 'merge', rows: [{ name, id }] });
    this.files.set(name, id);
    return id;
  }

  private async upsertNew(rows: readonly RowNames[]): Promise<DimensionIds> {
    const departments = new Map<string, number>();
    const sensors = new Map<string, { id: number; department: number }>();
    const products = new Map<string, number>();
    for (const row of rows) {
      if (!this.departments.has(row.department_name)) departments.set(row.department_name, dimensionId('department', row.department_name));
      const department = this.departments.get(row.department_name) ?? departments.get(row.department_name)!;
      const sensor = this.sensors.get(row.sensor_serial);
      if (sensor === undefined || sensor.department !== department) {
        sensors.set(row.sensor_serial, { id: sensor?.id ?? dimensionId('sensor', row.sensor_serial), department });
      }
      if (!this.products.has(row.product_name)) products.set(row.product_name, dimensionId('product', row.product_name));
    }
    const sorted = <V>(map: Map<string, V>) => [...map].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    if (departments.size > 0) {
      await this.store.write({ table: 'department', mode: 'merge', rows: sorted(departments).map(([name, id]) => ({ name, id })) });
      for (const [name, id] of departments) this.departments.set(name, id);
    }
    if (sensors.size > 0) {
      await this.store.write({
        table: 'sensor',
        mode: 'merge',
        rows: sorted(sensors).map(([serial, s]) => ({ serial, id: s.id, department_id: s.department })),
      });
      for (const [serial, s] of sensors) this.sensors.set(serial, s);
    }
    if (products.size > 0) {
      await this.store.write({ table: 'product', mode: 'merge', rows: sorted(products).map(([name, id]) => ({ name, id })) });
      for (const [name, id] of products) this.products.set(name, id);
    }
    return {
      sensor: (serial) => this.sensors.get(serial)!.id,
      product: (name) => this.products.get(name)!,
    };
  }
}
