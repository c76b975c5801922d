import { describe, expect, it } from 'vitest';
import { AdapterUrlError, parseBrokerUrl, parseStoreUrl, redact, scrub } from '../src/index.js';

const env = { SLUICE_REDIS_URL: 'redis://10.0.0.5:6380/2', SLUICE_KAFKA_BROKERS: 'k1:9092,k2:9093', SLUICE_PG_URL: 'postgres://u@db:5433/x', SLUICE_RABBITMQ_URL: 'amqp://a:b@mq:5672/v' };

describe('parseBrokerUrl', () => {
  it('reads every scheme', () => {
    expect(parseBrokerUrl('memory:')).toEqual({ kind: 'memory', url: 'memory:' });
    expect(parseBrokerUrl('redis://127.0.0.1:6379/3')).toEqual({ kind: 'redis', url: 'redis://127.0.0.1:6379/3' });
    expect(parseBrokerUrl('kafka://h1:9092,h2:9093')).toMatchObject({ kind: 'kafka', brokers: ['h1:9092', 'h2:9093'] });
    expect(parseBrokerUrl('kafka://h1')).toMatchObject({ brokers: ['h1:9092'] });
    expect(parseBrokerUrl('amqp://guest:guest@127.0.0.1:5672/%2f')).toMatchObject({ kind: 'rabbitmq' });
  });

  it('takes the short names to the environment URLs', () => {
    expect(parseBrokerUrl('memory', env).kind).toBe('memory');
    expect(parseBrokerUrl('redis', env)).toMatchObject({ kind: 'redis', url: 'redis://10.0.0.5:6380/2' });
    expect(parseBrokerUrl('kafka', env)).toMatchObject({ kind: 'kafka', brokers: ['k1:9092', 'k2:9093'] });
    expect(parseBrokerUrl('rabbitmq', env)).toMatchObject({ kind: 'rabbitmq', url: 'amqp://a:b@mq:5672/v' });
  });

  it.each([
    ['nats://u:hunter2@host:4222', 'the scheme "nats:" is not a broker'],
    ['redis://u:hunter2@host:6379/abc', 'the database "abc" is not a number'],
    ['kafka://u:hunter2@h', 'carry no user or password'],
    ['kafka://h1:9092,bad host', 'is not host:port'],
    ['kafka://', 'names no broker'],
    ['just-a-word', 'it has no scheme'],
    ['amqp://u:hunter2@:5672', 'not a valid URL'],
  ])('refuses %s, naming the problem without the password', (url, problem) => {
    let error: unknown;
    try {
      parseBrokerUrl(url);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(AdapterUrlError);
    const message = (error as Error).message;
    expect(message).toContain(problem);
    expect(message).not.toContain('hunter2');
    expect(message).toContain('redis://host:port');
    expect(message).toContain('kafka://host1:9092');
    expect((error as AdapterUrlError).given).not.toContain('hunter2');
  });
});

describe('parseStoreUrl', () => {
  it('reads every scheme', () => {
    expect(parseStoreUrl('sqlite:out/a.db')).toEqual({ kind: 'sqlite', url: 'sqlite:out/a.db', filename: 'out/a.db' });
    expect(parseStoreUrl('sqlite::memory:')).toMatchObject({ filename: ':memory:' });
    expect(parseStoreUrl('sqlite:///tmp/x.db')).toMatchObject({ filename: '/tmp/x.db' });
    expect(parseStoreUrl('postgres://me@127.0.0.1:5432/db')).toEqual({ kind: 'pg', url: 'postgres://me@127.0.0.1:5432/db' });
    expect(parseStoreUrl('postgresql://me@127.0.0.1/db').kind).toBe('pg');
  });

  it('takes the short names to the defaults', () => {
    expect(parseStoreUrl('sqlite', { defaultSqliteFile: 'x/trips.db' })).toMatchObject({ filename: 'x/trips.db' });
    expect(parseStoreUrl('pg', { env })).toEqual({ kind: 'pg', url: 'postgres://u@db:5433/x' });
  });

  it('refuses unknown schemes and malformed URLs without the password', () => {
    expect(() => parseStoreUrl('mysql://root:s3cret@db/x')).toThrow(/the scheme "mysql:" is not a store.*sqlite:path/);
    expect(() => parseStoreUrl('mysql://root:s3cret@db/x')).not.toThrow(/s3cret/);
    expect(() => parseStoreUrl('postgres://root:s3cret@:99999/x')).toThrow(AdapterUrlError);
    expect(() => parseStoreUrl('postgres://root:s3cret@:99999/x')).not.toThrow(/s3cret/);
    expect(() => parseStoreUrl('sqlite:')).toThrow(/names no file/);
  });
});

describe('redact', () => {
  it('replaces passwords in URLs inside any text', () => {
    expect(redact('connect postgres://me:pw@db/x failed; also amqp://a:b@h')).toBe('connect postgres://me:***@db/x failed; also amqp://a:***@h');
    expect(redact('redis://:only-pass@h:6379')).toBe('redis://:***@h:6379');
    expect(redact('postgres://me@db/x')).toBe('postgres://me@db/x');
  });

  it('scrubs a known secret wherever it stands', () => {
    expect(scrub('password authentication failed: p@ss/w', 'p@ss/w')).toBe('password authentication failed: ***');
  });
});
