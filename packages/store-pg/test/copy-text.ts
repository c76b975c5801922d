/** Test helpers for COPY text: a reference decoder and strings that break naive encoders. */

/** Splits COPY text back into rows of fields the way PostgreSQL reads it (text format). */
export function decodeCopyText(text: string): (string | null)[][] {
  const unescape: Record<string, string> = { '\\': '\\', n: '\n', r: '\r', t: '\t' };
  return text
    .split('\n')
    .slice(0, -1)
    .map((line) =>
      line.split('\t').map((field) => (field === '\\N' ? null : field.replace(/\\(.)/g, (_, c: string) => unescape[c] ?? c))),
    );
}

/** Strings that break naive COPY encoders. */
export const NASTY = [
  '',
  ' ',
  'tab\there',
  'new\nline',
  'carriage\rreturn\r\n',
  'back\\slash',
  '\\N',
  '\\.',
  '\\',
  'ends with backslash\\',
  `quotes ' and " and \`backticks\``,
  'unicode é ✓ 日本語 🚀 \u2028 \u00a0',
  'comma, semicolon; pipe|',
  '\\t literally',
  'NULL',
];
