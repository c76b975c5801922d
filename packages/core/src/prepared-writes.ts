/**
 * The bookkeeping behind `Store.prepare`, shared by the stores: the work prepared for a batch is
 * kept for the next `write` of the same batch object, and only while the table it was done for is
 * still the store's current one (a migration in between makes `write` start over).
 */
import type { WriteBatch } from './types.js';

/** Work prepared ahead for batches, by batch object; `Table` is the store's compiled table. */
export class PreparedWrites<Table, Work> {
  private readonly ahead = new WeakMap<WriteBatch, { table: Table; work: Work }>();

  /** Does `make()` now for `batch` against `table`. A `make` that throws leaves nothing: `write` will refuse the batch. */
  prepare(batch: WriteBatch, table: Table, make: () => Work): void {
    try {
      this.ahead.set(batch, { table, work: make() });
    } catch {
      this.ahead.delete(batch);
    }
  }

  /**
   * The work prepared for `batch`, used once: `undefined` if none was, or if it was done against
   * another table than `table`. A later write of the same object prepares anew.
   */
  take(batch: WriteBatch, table: Table): Work | undefined {
    const entry = this.ahead.get(batch);
    if (entry === undefined) return undefined;
    this.ahead.delete(batch);
    return entry.table === table ? entry.work : undefined;
  }
}
