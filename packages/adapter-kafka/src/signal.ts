/** A wake-up call: waiters sleep until `notify()` or their own timeout, whichever comes first. */
export class Signal {
  private readonly waiters = new Set<() => void>();

  /** Resolves on the next `notify()`, or after `ms` at the latest. */
  wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.waiters.add(done);
    });
  }

  /** Wakes every waiter. */
  notify(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}
