import { describe, expect, it } from 'vitest';
import { typeCell } from './csv-types.js';

describe('typeCell', () => {
  it('reads plain decimals and refuses anything else', () => {
    for (const [text, value] of [['1', 1], ['-1.5', -1.5], ['+2.', 2], ['.5', 0.5], ['2e3', 2000], ['1.5E-1', 0.15]] as const) {
      expect(typeCell(text, 'number'), text).toEqual({ ok: true, value });
    }
    for (const text of ['.', '1.5.5', '0x10', 'Infinity', '1e', 'e1', '--1']) expect(typeCell(text, 'number').ok, text).toBe(false);
  });

  it('refuses a 1 MB run of digits ending in a letter (a regex that backtracks would block for minutes)', () => {
    const cell = `${'7'.repeat(1 << 20)}x`;
    expect(typeCell(cell, 'number')).toMatchObject({ ok: false });
    expect(typeCell(cell, 'integer')).toMatchObject({ ok: false });
    expect(typeCell(`${'7'.repeat(1 << 20)}.${'5'.repeat(1 << 20)}e+x`, 'number')).toMatchObject({ ok: false });
  });

  it('quotes at most about 60 characters of a bad cell in its reason', () => {
    const result = typeCell(`${'7'.repeat(1 << 20)}x`, 'number');
    expect(result).toEqual({ ok: false, reason: `"${'7'.repeat(60)}…" is not a number` });
    expect(typeCell('maybe', 'boolean')).toEqual({ ok: false, reason: '"maybe" is not a boolean (true/false, 1/0, yes/no)' });
  });
});
