/** For the pipeline's tests: a store of a name and a write, every other method doing nothing. */
import type { Store } from '../types.js';

export function scriptedStore(parts: Pick<Store, 'name' | 'write'> & Partial<Store>): Store {
  return {
    migrate: async () => undefined,
    readCheckpoint: async () => undefined,
    readCheckpoints: async () => new Map(),
    readDeadLetters: async () => [],
    query: async () => [],
    stream: async function* () {},
    close: async () => undefined,
    ...parts,
  };
}
