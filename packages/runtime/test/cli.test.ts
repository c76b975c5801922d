import { describe, expect, it } from 'vitest';
import { ConfigError } from '@sluice/core';
import { HelpRequested, UsageError, describeExit, integerOption, numberOption, parseCommandLine, runMain } from '../src/index.js';

const spec = {
  usage: 'Usage: demo [--port N] FILE',
  options: { port: { type: 'string' }, json: { type: 'boolean', default: false } },
  positionals: { min: 1, max: 1, names: 'FILE' },
} as const;

describe('parseCommandLine', () => {
  it('parses options and positionals', () => {
    const { values, positionals } = parseCommandLine(['--port', '80', 'a.csv', '--json'], spec);
    expect(values.port).toBe('80');
    expect(values.json).toBe(true);
    expect(positionals).toEqual(['a.csv']);
  });

  it('asks for help before checking anything else', () => {
    expect(() => parseCommandLine(['--bogus', '--help'], spec)).toThrow(HelpRequested);
    expect(() => parseCommandLine(['-h'], spec)).toThrow(HelpRequested);
    expect(() => parseCommandLine(['--', '--help'], { ...spec, positionals: { max: 2 } })).not.toThrow();
  });

  it('names an unknown option, a missing value and extra arguments in one line', () => {
    expect(() => parseCommandLine(['--bogus', 'a'], spec)).toThrow(/^unknown option --bogus$/);
    expect(() => parseCommandLine(['a', '--port'], spec)).toThrow(/option --port/);
    expect(() => parseCommandLine(['a', 'b'], spec)).toThrow(/unexpected argument "b"/);
    expect(() => parseCommandLine([], spec)).toThrow(/missing FILE/);
  });
});

describe('values', () => {
  it('takes only plain whole numbers', () => {
    expect(integerOption('port', '8080', { min: 0, max: 65535 })).toBe(8080);
    for (const bad of ['1e3', '0x10', ' 5', '5.0', '', '70000', '-1']) expect(() => integerOption('port', bad, { min: 0, max: 65535 })).toThrow(/--port must be a whole number from 0 to 65535/);
    expect(integerOption('port', undefined)).toBeUndefined();
  });

  it('takes decimal numbers within bounds', () => {
    expect(numberOption('speed', '0.5', { exclusiveMin: 0 })).toBe(0.5);
    expect(() => numberOption('speed', '0', { exclusiveMin: 0 })).toThrow(/greater than 0, got "0"/);
    expect(() => numberOption('speed', 'fast')).toThrow(/--speed must be a number/);
  });
});

describe('runMain', () => {
  it('exits 0 after help, 2 on usage and configuration errors, 1 on failures', async () => {
    expect(describeExit('demo', new HelpRequested('usage text'))).toEqual({ code: 0, line: 'usage text', stdout: true });
    expect(describeExit('demo', new UsageError('unknown option --x')).code).toBe(2);
    expect(describeExit('demo', new ConfigError('bad')).code).toBe(2);
    const failed = describeExit('demo', new Error('connect postgres://me:pw@db failed'));
    expect(failed).toEqual({ code: 1, line: 'demo: Error: connect postgres://me:***@db failed' });
    const codes: number[] = [];
    await runMain('demo', async () => 3, (code) => codes.push(code));
    await runMain('demo', async () => undefined, (code) => codes.push(code));
    expect(codes).toEqual([3, 0]);
  });
});
