import { describe, expect, it } from 'vitest';
import { isPlainDecimal } from '../decimal.js';
import { INVALID_CELL, cellTyper, typeCell } from './csv-types.js';

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

describe('decimal columns and cellTyper', () => {
  const types = ['number', 'decimal', 'integer', 'boolean'] as const;
  const cells = ['1', '-1.5', '+2.', '.5', '2e3', '1.5E-1', ' 7 ', '', '  ', '.', '1.5.5', '0x10', 'Infinity', 'NaN', '1e', 'e1', '--1', '1e400', 'true', 'No', '12345678901234567890', '1_000'];

  it('keeps a decimal as its trimmed text, checked as number checks it', () => {
    expect(typeCell('14.49737944381950', 'decimal')).toEqual({ ok: true, value: '14.49737944381950' });
    expect(typeCell(' -0.50 ', 'decimal')).toEqual({ ok: true, value: '-0.50' });
    expect(typeCell('', 'decimal')).toEqual({ ok: true, value: null });
    expect(typeCell('1,5', 'decimal')).toEqual({ ok: false, reason: '"1,5" is not a decimal number' });
    for (const text of ['.', '0x10', 'Infinity', 'NaN', '1e']) expect(typeCell(text, 'decimal').ok, text).toBe(false);
  });

  it('gives what typeCell gives, for every type and cell (INVALID_CELL where typeCell refuses)', () => {
    for (const type of types) {
      const typer = cellTyper(type)!;
      for (const text of cells) {
        const cell = typeCell(text, type);
        expect(typer(text), `${type} ${JSON.stringify(text)}`).toEqual(cell.ok ? cell.value : INVALID_CELL);
      }
    }
    expect(cellTyper('string')).toBeUndefined();
  });

  it('isPlainDecimal accepts exactly the plain decimal grammar', () => {
    const yes = ['0', '-0', '1', '-1.5', '+2.', '.5', '2e3', '1.5E-1', '+.5e-3', '5.e2', '00012.500', '1e400', '12345678901234567890'];
    const no = ['', ' 7 ', '.', '1.5.5', '0x10', 'Infinity', 'NaN', '1e', 'e1', '--1', '1e+', 'e', '+', '-.', '١٢', '12a', 'a12', '1 2', '1e5e5', '1_000', '1,5'];
    for (const text of yes) expect(isPlainDecimal(text), JSON.stringify(text)).toBe(true);
    for (const text of no) expect(isPlainDecimal(text), JSON.stringify(text)).toBe(false);
  });
});
