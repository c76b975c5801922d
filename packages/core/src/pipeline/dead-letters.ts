/** Building dead letters, and the two places they can go: a store table or a broker topic. */
import { isUtf8 } from 'node:buffer';
import type { Broker, DeadLetter, DeadLetterSink, Position, Store } from '../types.js';

/** Nesting below which `JSON.stringify` is used as it is; deeper values are written by {@link stringifyDeep}. */
const SAFE_DEPTH = 256;

/** Whether `value` nests deeper than `limit` levels (an iterative walk that stops as soon as it knows). */
function deeperThan(value: unknown, limit: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (node === null || typeof node !== 'object') continue;
    if (depth >= limit) return true;
    for (const child of Array.isArray(node) ? node : Object.values(node)) {
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
    }
  }
  return false;
}

/** JSON text of a scalar the way `JSON.stringify` writes it (bigints as digit strings). */
function scalarText(value: unknown): string | undefined {
  if (typeof value === 'bigint') return JSON.stringify(value.toString());
  return JSON.stringify(value);
}

/**
 * `JSON.stringify` without recursion, for values too deep for it (it overflows the stack at about
 * 10,000 levels): plain arrays and objects, `toJSON`, bigints as digit strings. Throws on a cycle.
 */
export function stringifyDeep(value: unknown): string {
  const out: string[] = [];
  const ancestors = new Set<object>();
  type Frame = { node: object; keys: string[] | undefined; next: number; array: boolean };
  const stack: Frame[] = [];
  const open = (raw: unknown, key: string | undefined): boolean => {
    let node = raw;
    if (node !== null && typeof node === 'object' && typeof (node as { toJSON?: unknown }).toJSON === 'function') node = (node as { toJSON(key: string): unknown }).toJSON(key ?? '');
    if (node === null || typeof node !== 'object') {
      const text = scalarText(node);
      if (text === undefined) return false;
      if (key !== undefined) out.push(`${JSON.stringify(key)}:`);
      out.push(text);
      return true;
    }
    if (ancestors.has(node)) throw new TypeError('Converting circular structure to JSON');
    ancestors.add(node);
    if (key !== undefined) out.push(`${JSON.stringify(key)}:`);
    const array = Array.isArray(node);
    out.push(array ? '[' : '{');
    stack.push({ node, keys: array ? undefined : Object.keys(node), next: 0, array });
    return true;
  };
  if (!open(value, undefined)) return String(value);
  while (stack.length > 0) {
    const frame = stack[stack.length - 1]!;
    const size = frame.array ? (frame.node as unknown[]).length : frame.keys!.length;
    if (frame.next >= size) {
      out.push(frame.array ? ']' : '}');
      ancestors.delete(frame.node);
      stack.pop();
      continue;
    }
    const at = frame.next++;
    const needsComma = () => {
      const last = out[out.length - 1];
      return last !== '[' && last !== '{';
    };
    if (frame.array) {
      const child = (frame.node as unknown[])[at];
      if (needsComma()) out.push(',');
      // Like JSON.stringify: undefined, functions and symbols in arrays become null.
      if (!open(child, undefined)) out.push('null');
    } else {
      const key = frame.keys![at]!;
      const child = (frame.node as Record<string, unknown>)[key];
      const comma = needsComma();
      const mark = out.length;
      if (comma) out.push(',');
      if (!open(child, key)) out.length = mark; // undefined members are left out
    }
  }
  return out.join('');
}

/**
 * Text of a payload for a dead letter: strings as they are, anything else as JSON. A value nested
 * too deep for `JSON.stringify` is written without recursion, so no payload turns into
 * `[object Object]`. For input bytes, give {@link deadLetter} the bytes instead.
 */
export function payloadText(payload: unknown): string {
  if (typeof payload === 'string') return payload;
  const replacer = (_key: string, value: unknown): unknown => (typeof value === 'bigint' ? value.toString() : value);
  try {
    if (payload !== null && typeof payload === 'object' && deeperThan(payload, SAFE_DEPTH)) return stringifyDeep(payload);
    return JSON.stringify(payload, replacer) ?? String(payload);
  } catch {
    return String(payload);
  }
}

/**
 * How a dead letter holds `bytes`: as text when they are valid UTF-8 without U+0000, else as base64
 * (PostgreSQL text cannot hold U+0000, and decoding invalid UTF-8 would change the record).
 */
export function payloadOfBytes(bytes: Uint8Array): { payload: string; encoding?: 'base64' } {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (isUtf8(buffer) && !buffer.includes(0)) return { payload: buffer.toString('utf8') };
  return { payload: buffer.toString('base64'), encoding: 'base64' };
}

/** The exact bytes a dead letter holds (its payload decoded as its `encoding` says). */
export function deadLetterBytes(letter: Pick<DeadLetter, 'payload' | 'encoding'>): Buffer {
  return Buffer.from(letter.payload, letter.encoding === 'base64' ? 'base64' : 'utf8');
}

/**
 * A dead letter stamped now. Input bytes (a `Buffer`/`Uint8Array` payload) are kept exactly: as
 * text when they are valid UTF-8 without U+0000, otherwise as base64 with `encoding: 'base64'`, so
 * a refused record can always be replayed as it was sent. A string payload holding U+0000 is kept
 * as base64 of its UTF-8 bytes (PostgreSQL text cannot hold U+0000); other values as {@link payloadText}.
 */
export function deadLetter(
  origin: string,
  reason: string,
  payload: unknown,
  where: { position?: Position; key?: string } = {},
): DeadLetter {
  const text = payload instanceof Uint8Array ? undefined : payloadText(payload);
  const held =
    text === undefined
      ? payloadOfBytes(payload as Uint8Array)
      : text.includes('\u0000') ? { payload: Buffer.from(text, 'utf8').toString('base64'), encoding: 'base64' as const } : { payload: text };
  return {
    origin,
    reason,
    ...held,
    at: Date.now(),
    ...(where.position ? { position: where.position } : {}),
    ...(where.key !== undefined ? { key: where.key } : {}),
  };
}

/** Dead letters into the store's dead-letter table (one transaction per call). */
export function storeDeadLetters(store: Store): DeadLetterSink {
  return {
    name: `store:${store.name}`,
    write: async (letters) => {
      if (letters.length > 0) await store.write({ rows: [], deadLetters: letters });
    },
  };
}

/** Dead letters as envelopes on a broker topic, e.g. `metrics.dead-letters`. */
export function topicDeadLetters(broker: Broker, topic: string): DeadLetterSink {
  return {
    name: `topic:${topic}`,
    write: (letters) =>
      broker.publish(
        topic,
        letters.map((letter) => ({
          key: `dead:${letter.origin}:${letter.key ?? letter.position?.index ?? letter.position?.offset ?? letter.at}`,
          value: letter,
          timestamp: letter.at,
          headers: { origin: letter.origin },
        })),
      ),
  };
}
