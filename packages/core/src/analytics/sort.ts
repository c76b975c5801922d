/**
 * Argsort of float keys by a stable LSD radix sort on their IEEE-754 bits (11-bit digits; a pass
 * whose digit is the same for every key is skipped). Linear in n, no comparator callbacks, and the
 * keys travel with their indices so every pass reads memory in order. Equal keys keep index order,
 * which is what keeping "the last of equal times" relies on.
 *
 * Fast path: sort by the keys rounded to float32 (3 passes instead of 6; rounding keeps the order
 * but may merge close keys), then one insertion pass on the exact keys puts merged keys right.
 * When that pass would have to move too much (many keys closer than float32 can tell apart), the
 * full 64-bit sort runs instead.
 */

const BITS = 11;
const BUCKETS = 1 << BITS;
const MASK = BUCKETS - 1;
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Indices 0…n−1 ordered by `values[i]` ascending, equal values by index. Values must not be NaN. */
export function argsort(values: ArrayLike<number>): Uint32Array {
  return sortedOrder(values).index;
}

/** The order (`index`) and the values in that order (`sorted`), as `argsort` defines it. */
export function sortedOrder(values: ArrayLike<number>): { index: Uint32Array; sorted: Float64Array } {
  const n = values.length;
  const fast = n < 2 ? undefined : argsortFloat32(values);
  if (fast) return fast;
  const index = n < 2 ? Uint32Array.from({ length: n }, (_, i) => i) : argsortFloat64(values);
  const sorted = new Float64Array(n);
  for (let i = 0; i < n; i++) sorted[i] = values[index[i]!]!;
  return { index, sorted };
}

/** Radix sort on float32-rounded keys plus a bounded insertion pass; `undefined` when the budget runs out. */
function argsortFloat32(values: ArrayLike<number>): { index: Uint32Array; sorted: Float64Array } | undefined {
  const n = values.length;
  const rounded = new Float32Array(n);
  for (let i = 0; i < n; i++) rounded[i] = values[i]!;
  const bits = new Uint32Array(rounded.buffer);
  let keys = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const b = bits[i]!;
    keys[i] = b >>> 31 === 1 ? ~b >>> 0 : (b | 0x80000000) >>> 0;
  }
  let index = new Uint32Array(n);
  for (let i = 0; i < n; i++) index[i] = i;
  let nextKeys = new Uint32Array(n);
  let nextIndex = new Uint32Array(n);
  const digits = new Uint16Array(n);
  const offsets = new Uint32Array(BUCKETS);
  for (let shift = 0; shift < 32; shift += BITS) {
    for (let i = 0; i < n; i++) digits[i] = (keys[i]! >>> shift) & MASK;
    if (!scatter(digits, offsets, n, (from, to) => ((nextKeys[to] = keys[from]!), (nextIndex[to] = index[from]!)))) continue;
    [keys, nextKeys] = [nextKeys, keys];
    [index, nextIndex] = [nextIndex, index];
  }
  // Exact order by (value, index): only keys that float32 merged can be out of place. Working on the
  // gathered values keeps this pass sequential in memory.
  const sorted = new Float64Array(n);
  for (let i = 0; i < n; i++) sorted[i] = values[index[i]!]!;
  let budget = 8 * n + 64;
  for (let i = 1; i < n; i++) {
    const v = index[i]!;
    const vk = sorted[i]!;
    let j = i - 1;
    for (; j >= 0; j--) {
      const bk = sorted[j]!;
      const b = index[j]!;
      if (bk > vk || (bk === vk && b > v)) {
        index[j + 1] = b;
        sorted[j + 1] = bk;
        if (--budget < 0) return undefined;
      } else break;
    }
    index[j + 1] = v;
    sorted[j + 1] = vk;
  }
  return { index, sorted };
}

/**
 * One counting pass: bucket offsets from `digits`, then `move(from, to)` for every item in stable
 * order. Returns false (and moves nothing) when every item has the same digit.
 */
function scatter(digits: Uint16Array, offsets: Uint32Array, n: number, move: (from: number, to: number) => void): boolean {
  offsets.fill(0);
  for (let i = 0; i < n; i++) offsets[digits[i]!]!++;
  if (offsets[digits[0]!] === n) return false;
  let sum = 0;
  for (let b = 0; b < BUCKETS; b++) {
    const c = offsets[b]!;
    offsets[b] = sum;
    sum += c;
  }
  for (let i = 0; i < n; i++) move(i, offsets[digits[i]!]!++);
  return true;
}

/** Full radix sort on the 64-bit keys. */
function argsortFloat64(values: ArrayLike<number>): Uint32Array {
  const n = values.length;
  let index = new Uint32Array(n);
  for (let i = 0; i < n; i++) index[i] = i;
  // Sortable unsigned 64-bit keys as two words: flip every bit of negatives, only the sign of the rest.
  let high = new Uint32Array(n);
  let low = new Uint32Array(n);
  const cell = new Float64Array(1);
  const words = new Uint32Array(cell.buffer);
  const h = LITTLE_ENDIAN ? 1 : 0;
  for (let i = 0; i < n; i++) {
    cell[0] = values[i]!;
    const hw = words[h]!;
    const lw = words[1 - h]!;
    const negative = hw >>> 31 === 1;
    high[i] = negative ? ~hw >>> 0 : (hw | 0x80000000) >>> 0;
    low[i] = negative ? ~lw >>> 0 : lw;
  }
  let nextIndex = new Uint32Array(n);
  let nextHigh = new Uint32Array(n);
  let nextLow = new Uint32Array(n);
  const digits = new Uint16Array(n);
  const offsets = new Uint32Array(BUCKETS);
  for (let shift = 0; shift < 64; shift += BITS) {
    extractDigits(high, low, shift, digits);
    const moved = scatter(digits, offsets, n, (from, to) => {
      nextIndex[to] = index[from]!;
      nextHigh[to] = high[from]!;
      nextLow[to] = low[from]!;
    });
    if (!moved) continue;
    [index, nextIndex] = [nextIndex, index];
    [high, nextHigh] = [nextHigh, high];
    [low, nextLow] = [nextLow, low];
  }
  return index;
}

/** The 11-bit digit at `shift` of every 64-bit key (high:low words). */
function extractDigits(high: Uint32Array, low: Uint32Array, shift: number, out: Uint16Array): void {
  const n = out.length;
  if (shift + BITS <= 32) {
    for (let i = 0; i < n; i++) out[i] = (low[i]! >>> shift) & MASK;
  } else if (shift >= 32) {
    const s = shift - 32;
    for (let i = 0; i < n; i++) out[i] = (high[i]! >>> s) & MASK;
  } else {
    // The digit straddles the two words.
    for (let i = 0; i < n; i++) out[i] = ((low[i]! >>> shift) | (high[i]! << (32 - shift))) & MASK;
  }
}
