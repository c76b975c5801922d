/**
 * Dimension ids through an in-memory cache. Names met for the first time are upserted (merge on
 * the name, one transaction per table, sorted so that concurrent writers take row locks in the
 * same order and cannot deadlock) before any datalog row refers to them, so every datalog row
 * references a committed dimension row. Ids are hashes of the names (`dimensionId`): several
 * processes meeting the same new name at once write the same row.
 */
import type { Store } from '@sluice/core';
import { dimensionId } from './schema.js';

/** The dimension names of a file's rows, as columns (index i is one row). */
export interface NameColumns {
  count: number;
  department: ArrayLike<string>;
  serial: ArrayLike<string>;
  product: ArrayLike<string>;
}

/** Ids resolved for a file's rows, index i for row i. */
export interface DimensionIds {
  sensor: Float64Array;
  product: Float64Array;
}

/** The cache of one process; `ensure` is serialised, so concurrent files never race within a process. */
export class Dimensions {
  private readonly departments = new Map<string, number>();
  /** serial → { id, department id }: a sensor seen in another department is upserted again. */
  private readonly sensors = new Map<string, { id: number; department: number }>();
  private readonly products = new Map<string, number>();
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly store: Store) {}

  /** Upserts the names of `rows` not committed yet, and returns the ids of every row. */
  ensure(rows: NameColumns): Promise<DimensionIds> {
    const run = this.queue.then(() => this.upsertNew(rows));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * Fills the cache with the dimension rows already committed (a few thousand names), so a new
   * process upserts only names that are really new. Source files are not cached (see {@link file}).
   */
  async warm(): Promise<void> {
    const text = (v: unknown) => String(v);
    for (const row of await this.store.query<{ name: unknown; id: unknown }>('SELECT name, id FROM department')) this.departments.set(text(row.name), Number(row.id));
    for (const row of await this.store.query<{ serial: unknown; id: unknown; department_id: unknown }>('SELECT serial, id, department_id FROM sensor')) {
      this.sensors.set(text(row.serial), { id: Number(row.id), department: Number(row.department_id) });
    }
    for (const row of await this.store.query<{ name: unknown; id: unknown }>('SELECT name, id FROM product')) this.products.set(text(row.name), Number(row.id));
  }

  /**
   * Upserts the `source_file` rows of files about to be loaded, in one transaction per 5,000 (not
   * one per file). Whoever plans a load (the one process, or the coordinator of workers) adds its
   * files before any is loaded.
   */
  async addFiles(names: readonly string[]): Promise<void> {
    const rows = [...new Set(names)].sort().map((name) => ({ name, id: dimensionId('source_file', name) }));
    for (let i = 0; i < rows.length; i += 5000) await this.store.write({ table: 'source_file', mode: 'merge', rows: rows.slice(i, i + 5000) });
  }

  /**
   * The id of a source file: the hash of its name, no lookup (a month is 43,201 names: not kept in
   * memory). Its row was committed by {@link addFiles} before the load; a write that refers to a
   * file whose row is missing is refused by the foreign key, and the loader adds the row then.
   */
  file(name: string): number {
    return dimensionId('source_file', name);
  }

  /**
   * One pass over the rows: the ids of known names from the cache, new ones computed (a name's id
   * is its hash) and collected; then the new names are upserted before the ids are handed out.
   */
  private async upsertNew(rows: NameColumns): Promise<DimensionIds> {
    const departments = new Map<string, number>();
    const sensors = new Map<string, { id: number; department: number }>();
    const products = new Map<string, number>();
    const sensorIds = new Float64Array(rows.count);
    const productIds = new Float64Array(rows.count);
    for (let i = 0; i < rows.count; i++) {
      const departmentName = rows.department[i]!;
      let department = this.departments.get(departmentName) ?? departments.get(departmentName);
      if (department === undefined) {
        department = dimensionId('department', departmentName);
        departments.set(departmentName, department);
      }
      const serial = rows.serial[i]!;
      const sensor = this.sensors.get(serial);
      if (sensor !== undefined && sensor.department === department) sensorIds[i] = sensor.id;
      else {
        // New, or seen in another department: (re)upserted with this row's department.
        const id = sensor?.id ?? sensors.get(serial)?.id ?? dimensionId('sensor', serial);
        sensors.set(serial, { id, department });
        sensorIds[i] = id;
      }
      const productName = rows.product[i]!;
      let product = this.products.get(productName) ?? products.get(productName);
      if (product === undefined) {
        product = dimensionId('product', productName);
        products.set(productName, product);
      }
      productIds[i] = product;
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
    return { sensor: sensorIds, product: productIds };
  }
}
