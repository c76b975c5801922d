import { describe, expect, it } from 'vitest';
import { isPlainDecimal } from '../decimal.js';
import { INVALID_CELL, cellTyper, parseWktPoint, typeCell } from './csv-types.js';

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

describe('point columns (WKT POINT)', () => {
  it('reads POINT (lon lat) in any case and spacing, longitude first', () => {
    expect(typeCell('POINT (14.4973794438195 50.00136875782316)', 'point')).toEqual({ ok: true, value: { lon: 14.4973794438195, lat: 50.00136875782316 } });
    expect(typeCell(' point(7.5 45) ', 'point')).toEqual({ ok: true, value: { lon: 7.5, lat: 45 } });
    expect(typeCell('POINT  (  -180   -90  )', 'point')).toEqual({ ok: true, value: { lon: -180, lat: -90 } });
    expect(typeCell('POINT (180 90)', 'point')).toEqual({ ok: true, value: { lon: 180, lat: 90 } });
    expect(typeCell('POINT (-0 -0.0)', 'point')).toEqual({ ok: true, value: { lon: 0, lat: 0 } });
    expect(Object.is((typeCell('POINT (-0 1)', 'point') as { value: { lon: number } }).value.lon, 0)).toBe(true);
  });

  it('gives null for an empty cell and POINT EMPTY', () => {
    expect(typeCell('', 'point')).toEqual({ ok: true, value: null });
    expect(typeCell('POINT EMPTY', 'point')).toEqual({ ok: true, value: null });
  });

  it('refuses what is not a 2D point in range, saying why', () => {
    expect(typeCell('POINT (181 10)', 'point')).toEqual({ ok: false, reason: '"POINT (181 10)" has longitude 181 outside [-180, 180]' });
    expect(typeCell('POINT (10 -90.5)', 'point')).toEqual({ ok: false, reason: '"POINT (10 -90.5)" has latitude -90.5 outside [-90, 90]' });
    expect(typeCell('POINT (1,5 2)', 'point')).toMatchObject({ ok: false });
    for (const text of ['POINT (1)', 'POINT (1 2 3)', 'POINT Z (1 2 3)', 'POINT (1 2', 'LINESTRING (1 2, 3 4)', '1 2', 'POINT (x 2)', 'POINT (NaN 2)', 'POINT (Infinity 2)', 'POINT (0x10 2)']) {
      expect(typeCell(text, 'point').ok, text).toBe(false);
    }
    expect(parseWktPoint('POINT (1 x)')).toBe('has a coordinate that is not a plain decimal number');
    expect(parseWktPoint('(1 2)')).toBe('is not a WKT point like POINT (lon lat)');
  });

  it('cellTyper gives what typeCell gives', () => {
    const typer = cellTyper('point')!;
    const texts = ['POINT (1 2)', '', 'POINT EMPTY', 'POINT (200 0)', 'nope', 'POINT (-0 -0.0)', 'POINT (180 90)', 'POINT (-180.0 -90)', 'POINT (180.5 0)'];
    // The fast path's edges: what it must leave to the full parser, read or refused the same way.
    texts.push('POINT (1. 2)', 'POINT (.5 2)', 'POINT (1 2.)', 'POINT (- 2)', 'POINT (1  2)', 'POINT (1 2) ', 'POINT (1 2 3)', 'POINT (1e2 3)', 'POINT (+1 2)');
    texts.push('POINT (1 2)x', 'POINT (1 -)', 'POINT ( 1 2)', 'POINT (1 2', 'POINT (--1 2)', 'POINT (1.2.3 4)', 'POINT (14.4973794438195 50.00136875782316)');
    for (const text of texts) {
      const cell = typeCell(text, 'point');
      expect(typer(text), text).toEqual(cell.ok ? cell.value : INVALID_CELL);
    }
  });
});
