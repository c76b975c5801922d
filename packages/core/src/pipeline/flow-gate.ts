/** Source-side backpressure: a counter of records in flight with a high-water mark. */
import type { FlowControl } from '../types.js';

/**
 * Records are `take`n when a source emits them and `release`d when their batch is done. While
 * more than `highWater` are in flight, `ready()` returns a promise that resolves once enough
 * are released, and a well-behaved source stops reading until then.
 */
export class FlowGate implements FlowControl {
  private inFlight = 0;
  private waiters: (() => void)[] = [];

  constructor(private readonly highWater: number) {}

  ready(): Promise<void> | undefined {
    if (this.inFlight < this.highWater) return undefined;
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  take(count: number): void {
    this.inFlight += count;
  }

  release(count: number): void {
    this.inFlight -= count;
    if (this.inFlight < this.highWater && this.waiters.length > 0) {
      const waiters = this.waiters;
      this.waiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  /** Records taken and not yet released. */
  get pending(): number {
    return this.inFlight;
  }
}
