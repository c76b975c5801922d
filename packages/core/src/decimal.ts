/** Recognising plain decimal text, shared by the CSV source's number types and the stores' encoders. */

/**
 * A plain decimal. Linear on any text: no two parts can match the same digits (`\d+\.?\d*` could,
 * which made a long run of digits ending in a letter take quadratic time). Measured faster than a
 * loop over `charCodeAt` on the sliced strings a CSV row is cut into.
 */
const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * Whether `text` is a plain decimal: `[+-]?(digits[.digits?] | .digits)([eE][+-]?digits)?`, with
 * no spaces, hex, `Infinity` or `NaN`.
 */
export function isPlainDecimal(text: string): boolean {
  return DECIMAL.test(text);
}
