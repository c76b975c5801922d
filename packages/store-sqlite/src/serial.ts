/** A promise queue: tasks run one after another, in the order they were given. */
export interface SerialQueue {
  /** Runs `task` after every task given before it has settled; resolves or rejects with its outcome. */
  run<T>(task: () => Promise<T>): Promise<T>;
}

/** Creates an empty queue. A failing task does not stop the ones after it. */
export function createSerialQueue(): SerialQueue {
  let tail: Promise<unknown> = Promise.resolve();
  return {
    run(task) {
      const result = tail.then(task);
      tail = result.then(
        () => undefined,
        () => undefined,
      );
      return result;
    },
  };
}
