/**
 * What the memory broker keeps of a published batch: a deep copy of every envelope (the default,
 * so a publisher's later mutations are not seen by consumers), or the publisher's own values when
 * it hands them over (`copy: false`).
 *
 * The copy is hand-written for the data a broker carries — plain objects, arrays and primitives,
 * what survives `JSON.stringify` / `JSON.parse` — which V8 copies about ten times faster than
 * `structuredClone` (that serialises every value into a buffer and back). Anything else (a Date,
 * Map, typed array or class instance, a cycle, a value nested deeper than `MAX_DEPTH` or larger
 * than `MAX_NODES` objects) is copied by `structuredClone`, as before, so every value is copied
 * with the same result, except that sub-objects shared within one plain value come out as
 * separate copies, and named (non-index) properties set on an array are not copied.
 */
import { BrokerError, describeError } from '../errors.js';
import type { Envelope } from '../types.js';

/** Nesting levels copied by hand; a deeper value (or a cycle) goes to `structuredClone`. */
const MAX_DEPTH = 64;
/** Objects and arrays copied by hand per value; past that (say, a shared sub-object fanning out), `structuredClone`. */
const MAX_NODES = 10_000;

/** Returned by `copyPlain` for a value it does not copy itself. */
const NOT_PLAIN: unique symbol = Symbol('not plain');

/** Objects and arrays the current `copyValue` may still copy by hand. */
let nodesLeft = 0;

/** A deep copy of plain data, or `NOT_PLAIN` as soon as the value holds anything else. */
function copyPlain(value: unknown, depth: number): unknown {
  if (typeof value !== 'object' || value === null) {
    return typeof value === 'function' || typeof value === 'symbol' ? NOT_PLAIN : value;
  }
  if (depth >= MAX_DEPTH || --nodesLeft < 0) return NOT_PLAIN;
  if (Array.isArray(value)) {
    const copy: unknown[] = new Array(value.length);
    for (let i = 0; i < value.length; i++) {
      const item = copyPlain(value[i], depth + 1);
      // structuredClone keeps the holes of a sparse array.
      if (item === NOT_PLAIN || (item === undefined && !(i in value))) return NOT_PLAIN;
      copy[i] = item;
    }
    return copy;
  }
  const prototype: unknown = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) return NOT_PLAIN;
  // A spread copies a plain object in one step (its own enumerable properties); then only the
  // properties holding objects are replaced by their copies. structuredClone drops symbol keys,
  // which a spread would keep (and share what they hold), so such objects go to structuredClone.
  if (Object.getOwnPropertySymbols(value).length > 0) return NOT_PLAIN;
  const copy: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  for (const key in copy) {
    const item = copy[key];
    if (typeof item === 'object') {
      if (item === null) continue;
      // Assigning to an own "__proto__" key (JSON.parse makes them) would set the copy's prototype.
      const copied = key === '__proto__' ? NOT_PLAIN : copyPlain(item, depth + 1);
      if (copied === NOT_PLAIN) return NOT_PLAIN;
      copy[key] = copied;
    } else if (typeof item === 'function' || typeof item === 'symbol') {
      return NOT_PLAIN;
    }
  }
  return copy;
}

/** A deep copy of one envelope value; throws what `structuredClone` throws for a value it cannot copy. */
export function copyValue<T>(value: T): T {
  nodesLeft = MAX_NODES;
  const copy = copyPlain(value, 0);
  return copy === NOT_PLAIN ? structuredClone(value) : (copy as T);
}

/**
 * Deep copies of a batch: values copied with `copyValue`, headers (string values, already checked)
 * shallowly; absent headers become `{}`. Throws a `BrokerError` naming the first envelope whose
 * value cannot be copied (a function or symbol in it), before anything of the batch is kept.
 */
export function copyEnvelopes<T>(topic: string, envelopes: readonly Envelope<T>[]): Envelope<T>[] {
  const copies: Envelope<T>[] = new Array(envelopes.length);
  for (let i = 0; i < envelopes.length; i++) {
    const { key, value, timestamp, headers } = envelopes[i]!;
    let copied: T;
    try {
      copied = copyValue(value);
    } catch (error) {
      throw new BrokerError(
        `cannot publish to topic "${topic}": the value of envelope ${i} (key "${key}") cannot be copied ` +
          `(${describeError(error)}); values must survive JSON.stringify/JSON.parse — no functions or symbols`,
        'publish',
        topic,
      );
    }
    copies[i] = { key, value: copied, timestamp, headers: { ...headers } };
  }
  return copies;
}

/**
 * A batch whose publisher hands its values over (`copy: false`): new envelope objects around the
 * publisher's own values and headers (absent headers become `{}`), nothing copied or checked.
 */
export function takeEnvelopes<T>(envelopes: readonly Envelope<T>[]): Envelope<T>[] {
  const taken: Envelope<T>[] = new Array(envelopes.length);
  for (let i = 0; i < envelopes.length; i++) {
    const { key, value, timestamp, headers } = envelopes[i]!;
    taken[i] = { key, value, timestamp, headers: headers ?? {} };
  }
  return taken;
}
