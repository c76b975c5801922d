import { describe, expect, it } from 'vitest';
import { withoutUrlOptions } from '../src/connection.js';

describe('withoutUrlOptions', () => {
  it('takes the options parameter out of a postgres URL and keeps the other parameters in order', () => {
    expect(withoutUrlOptions('postgres://u@h:5432/db?sslmode=disable&options=-c%20work_mem%3D8MB&application_name=x')).toEqual({
      connectionString: 'postgres://u@h:5432/db?sslmode=disable&application_name=x',
      options: '-c work_mem=8MB',
    });
    expect(withoutUrlOptions('postgresql://h/db?options=-c+jit%3Doff')).toEqual({ connectionString: 'postgresql://h/db', options: '-c jit=off' });
  });

  it('leaves strings without options, other forms and malformed escapes as they are', () => {
    for (const s of ['postgres://h/db', 'postgres://h/db?sslmode=require', 'host=h dbname=db options=-cjit=off', 'postgres://h/db?options=%E0%A4%A']) {
      expect(withoutUrlOptions(s)).toEqual({ connectionString: s });
    }
    expect(withoutUrlOptions('postgres://h/db?options=')).toEqual({ connectionString: 'postgres://h/db' });
  });
});
