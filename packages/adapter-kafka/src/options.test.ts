import { ConfigError } from '@sluice/core';
import { describe, expect, it } from 'vitest';
import { parseBrokers, resolveKafkaOptions } from './options.js';

describe('kafka broker options', () => {
  it('defaults to SLUICE_KAFKA_BROKERS, else 127.0.0.1:9092, with 3 partitions and replication 1', () => {
    expect(resolveKafkaOptions({}, {})).toMatchObject({ brokers: ['127.0.0.1:9092'], partitions: 3, replicationFactor: 1, logLevel: 'nothing' });
    expect(resolveKafkaOptions({}, { SLUICE_KAFKA_BROKERS: 'a:1, b:2' }).brokers).toEqual(['a:1', 'b:2']);
    expect(resolveKafkaOptions({ brokers: ['c:3'] }, { SLUICE_KAFKA_BROKERS: 'a:1' }).brokers).toEqual(['c:3']);
  });

  it('refuses options that make no sense, naming them', () => {
    const bad = [{ partitions: 0 }, { replicationFactor: 1.5 }, { brokers: '' }, { brokers: 'no-port' }, { logLevel: 'loud' as never }, { heartbeatIntervalMs: 30_000 }];
    for (const options of bad) expect(() => resolveKafkaOptions(options, {}), JSON.stringify(options)).toThrow(ConfigError);
  });

  it('parses host:port lists, IPv6 in brackets included', () => {
    expect(parseBrokers('[::1]:9092,kafka-1:19092')).toEqual(['[::1]:9092', 'kafka-1:19092']);
  });
});
