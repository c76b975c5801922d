/** Recognising plain decimal text, shared by the CSV source's number types and the stores' encoders. */

const PLUS = 0x2b;
const MINUS = 0x2d;
const DOT = 0x2e;
const isDigit = (c: number) => c >= 0x30 && c <= 0x39;

/**
 * Whether `text` is a plain decimal: `[+-]?(digits[.digits?] | .digits)([eE][+-]?digits)?`, with
 * no spaces, hex, `Infinity` or `NaN`. One pass over the characters, linear on any text.
 */
export function isPlainDecimal(text: string): boolean {
  let i = 0;
  let c = text.charCodeAt(0);
  if (c === PLUS || c === MINUS) c = text.charCodeAt(++i);
  let digits = 0;
  while (isDigit(c)) {
    digits++;
    c = text.charCodeAt(++i);
  }
  if (c === DOT) {
    c = text.charCodeAt(++i);
    while (isDigit(c)) {
      digits++;
      c = text.charCodeAt(++i);
    }
  }
  if (digits === 0) return false;
  if (c === 0x65 || c === 0x45) {
    c = text.charCodeAt(++i);
    if (c === PLUS || c === MINUS) c = text.charCodeAt(++i);
    if (!isDigit(c)) return false;
    while (isDigit(c)) c = text.charCodeAt(++i);
  }
  return i === text.length;
}
