/**
 * Building many objects with the same keys fast: a record factory made once per header turns an
 * array of cells into an object with those keys, with one object literal instead of a keyed store
 * per cell (which V8 runs about ten times slower, as the keys vary).
 */

/** Makes a record of the given cells, in header order; the cells array may be reused afterwards. */
export type RecordFactory<V> = (cells: readonly V[]) => Record<string, V>;

/**
 * The record factory of `keys` (unique, none of them `__proto__`). Compiled to one object literal
 * with `new Function`; where the runtime forbids code generation from strings, a loop of keyed
 * stores gives the same objects.
 */
export function recordFactory<V>(keys: readonly string[]): RecordFactory<V> {
  const body = `return {${keys.map((key, k) => `${JSON.stringify(key)}: cells[${k}]`).join(', ')}};`;
  try {
    return new Function('cells', body) as RecordFactory<V>;
  } catch {
    return (cells) => {
      const record: Record<string, V> = {};
      for (let k = 0; k < keys.length; k++) record[keys[k]!] = cells[k]!;
      return record;
    };
  }
}
