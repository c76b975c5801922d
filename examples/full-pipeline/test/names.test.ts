/** Names of a pipeline and the command line that picks them: prefixes keep pipelines apart. */
import { ConfigError } from '@sluice/core';
import { describe, expect, it } from 'vitest';
import { parseCli } from '../src/cli-options.js';
import { defaultNames, groupOf, namesFor, originsOf, qualified } from '../src/tables.js';

describe('pipeline names', () => {
  it('keeps the documented names without a prefix', () => {
    expect(defaultNames).toEqual({
      prefix: '',
      metricsTopic: 'machine.metrics',
      workordersTopic: 'machine.workorders',
      metricsTable: 'metrics',
      workordersTable: 'workorders',
      group: 'sluice-machine-data',
    });
    expect(qualified(defaultNames, 'api:metrics')).toBe('api:metrics');
  });

  it('prefixes topics, tables, groups, checkpoint streams and dead-letter origins', () => {
    const names = namesFor('plant7');
    expect(names).toMatchObject({ metricsTopic: 'plant7.machine.metrics', workordersTable: 'plant7_workorders', group: 'plant7-sluice-machine-data' });
    expect(groupOf('metrics', names.group)).toBe('plant7-sluice-machine-data.metrics');
    expect(originsOf(names)).toEqual(expect.arrayContaining(['plant7/api:metrics', 'plant7/webhook:workorders', 'plant7.machine.metrics']));
    expect(originsOf(names).every((origin) => origin.startsWith('plant7'))).toBe(true);
  });

  it('refuses a prefix that cannot be part of a table or topic name, from the command line too', () => {
    for (const bad of ['7up', 'a-b', 'drop table', 'x'.repeat(41)]) expect(() => namesFor(bad), bad).toThrow(ConfigError);
    expect(() => parseCli(['consume', '--prefix', 'a;b'])).toThrow(/--prefix must start with a letter/);
    expect(() => parseCli(['--brokr', 'redis'])).toThrow(ConfigError);
    expect(() => parseCli(['--broker', 'rabbit'])).toThrow(/cannot open broker "rabbit": it has no scheme; use one of memory:, redis:\/\//);
    expect(() => parseCli(['--store', 'mysql://root:pw@db/x'])).toThrow(/the scheme "mysql:" is not a store/);
    expect(() => parseCli(['--store', 'mysql://root:pw@db/x'])).not.toThrow(/:pw@/);
    expect(parseCli(['--broker', 'redis://127.0.0.1:6379/1', '--store', 'pg']).broker).toMatchObject({ kind: 'redis', url: 'redis://127.0.0.1:6379/1' });
    expect(() => parseCli(['--port', 'eighty'])).toThrow(/--port must be a whole number from 0 to 65535, got "eighty"/);
    expect(parseCli(['serve', '--port', '0', '--prefix', 'p1']).port).toBe(0);
  });
});
